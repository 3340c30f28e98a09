/** Format detection and the one entry point of the parsers. */
import { InvalidArgumentError } from "../errors.js";
import { parseBootlog } from "./bootlog.js";
import { parseDts } from "./dts.js";
import { MemoryMapError } from "./errors.js";
import { parseIomem } from "./iomem.js";
import { parseJsonMap } from "./json.js";
import type { MemoryMap, MemoryMapFormat } from "./model.js";
import { parseShorthand } from "./shorthand.js";
import type { ParseContext } from "./validate.js";

/** Options of `parseMemoryMap`. */
export interface ParseMemoryMapOptions {
  /** Names the input in errors: a file name; default `<shorthand>` for the shorthand, else `<input>`. */
  readonly source?: string;
  /** The format; detected from the content when absent. */
  readonly format?: MemoryMapFormat;
  /** Ranges must end at or below 2^paBits (default 48; 32 to 52). */
  readonly paBits?: number;
}

const FORMATS: readonly MemoryMapFormat[] = ["iomem", "bootlog", "dts", "json", "shorthand"];

const PARSERS: Record<MemoryMapFormat, (text: string, ctx: ParseContext) => MemoryMap> = {
  iomem: parseIomem,
  bootlog: parseBootlog,
  dts: parseDts,
  json: parseJsonMap,
  shorthand: parseShorthand,
};

/** Guesses the format from the content: JSON, DTS, /proc/iomem, boot log, shorthand, else undefined. */
export function detectFormat(text: string): MemoryMapFormat | undefined {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return undefined;
  const first = lines[0].trim();
  if (first.startsWith("{")) return "json";
  // [^\S\n\r\u2028\u2029]: blanks that do not end a line. A leading \s* under the m flag would run on
  // across blank lines from every line start: quadratic in a run of them.
  if (/\/dts-v1\/|^[^\S\n\r\u2028\u2029]*\/\s*\{|^[^\S\n\r\u2028\u2029]*\/(memreserve|include)\//m.test(text)) return "dts";
  if (/^ *[0-9a-zA-Z]+-[0-9a-zA-Z]+\s*:/.test(lines[0])) return "iomem";
  if (/Early memory node ranges|(?:^|[\s\]:])node\s+\d+:/m.test(text)) return "bootlog";
  if (lines.length === 1 && /^[^\s@]+@/.test(first)) return "shorthand";
  return undefined;
}

/** Parses a memory map in any supported format; every failure is a one-line `MemoryMapError`. */
export function parseMemoryMap(text: string, options: ParseMemoryMapOptions = {}): MemoryMap {
  const paBits = options.paBits ?? 48;
  if (!Number.isInteger(paBits) || paBits < 32 || paBits > 52) {
    throw new InvalidArgumentError("paBits", `${paBits} is not an integer from 32 to 52`);
  }
  if (options.format !== undefined && !FORMATS.includes(options.format)) {
    throw new InvalidArgumentError("format", `"${String(options.format)}" is not one of ${FORMATS.join(", ")}`);
  }
  const body = text.replace(/^\uFEFF/, "");
  const format = options.format ?? detectFormat(body);
  const source = options.source ?? (format === "shorthand" ? "<shorthand>" : "<input>");
  if (format === undefined) {
    throw new MemoryMapError(source, 0, "cannot tell the format: expected /proc/iomem, a boot log, device-tree source, JSON or SIZE@BASE shorthand");
  }
  return PARSERS[format](body, { source, format, paBits });
}
