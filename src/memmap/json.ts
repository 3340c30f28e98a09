/**
 * The JSON form of a memory map, validated with zod:
 *
 * ```json
 * {
 *   "memory":      [{ "base": "0x40000000", "size": "8G", "node": 0 }],
 *   "nomap":       [{ "base": "0x40000000", "size": "2M" }],
 *   "reserved":    [{ "base": "0x48000000", "size": "0x100000" }],
 *   "kernel":      { "base": "0x40210000", "size": "0x1a00000" },
 *   "kernelData":  { "base": "0x41c10000", "size": "0x600000" },
 *   "crashkernel": { "base": "0x60000000", "size": "256M" },
 *   "crashkernelLow": { "base": "0x50000000", "size": "128M" }
 * }
 * ```
 *
 * Only `memory` is required (at least one bank); unknown keys are errors. Every `base` and `size` is
 * a string (`0x…` hexadecimal, decimal, or a number with a K/M/G/T/P binary suffix: `8G`, `512M`) or
 * a JSON integer up to 2^53 - 1. `node` is the NUMA node (0–1023). Each list is one memblock call
 * per entry: `memory` → `memblock_add`, `nomap` → `memblock_mark_nomap` (must lie inside memory),
 * `reserved` → `memblock_reserve` (inside memory). `kernel` is `[_stext, __init_begin)`, the range
 * `map_mem()` maps as the kernel alias; `kernelData` is `[_sdata, _end)`; `crashkernel` is
 * `crashk_res`, `crashkernelLow` is `crashk_low_res`. Lists need not be sorted.
 */
import { z } from "zod";
import { parseSize } from "../units.js";
import { JsonSyntaxError, jsonPath, parseJsonWithLines } from "./json-lines.js";
import type { MemoryMap } from "./model.js";
import { type Entry, type ParseContext, emptyDraft, entry, fail, finish } from "./validate.js";

const Amount = z.union([z.string(), z.number()], {
  error: 'must be a string such as "0x40000000" or "8G", or an integer',
});
const JsonRange = z.strictObject({ base: Amount, size: Amount });
const JsonBank = z.strictObject({ base: Amount, size: Amount, node: z.number().int().min(0).max(1023).optional() });

/** The zod schema of the JSON memory-map form (values still as written; see the module comment). */
export const MemoryMapJsonSchema = z.strictObject({
  memory: z.array(JsonBank).min(1, "needs at least one bank"),
  nomap: z.array(JsonRange).optional(),
  reserved: z.array(JsonRange).optional(),
  kernel: JsonRange.optional(),
  kernelData: JsonRange.optional(),
  crashkernel: JsonRange.optional(),
  crashkernelLow: JsonRange.optional(),
});

/** The JSON form as written, before its values become bigints. */
export type MemoryMapJson = z.infer<typeof MemoryMapJsonSchema>;

/** The line of `keys`, or of the nearest enclosing value that has one. */
function lineOf(lines: ReadonlyMap<string, number>, keys: readonly PropertyKey[]): number {
  for (let n = keys.length; n >= 0; n--) {
    const l = lines.get(jsonPath(keys.slice(0, n)));
    if (l !== undefined) return l;
  }
  return 1;
}

function amount(ctx: ParseContext, lines: ReadonlyMap<string, number>, keys: PropertyKey[], v: string | number): bigint {
  const line = lineOf(lines, keys);
  const path = jsonPath(keys);
  const kind = keys[keys.length - 1] === "base" ? "an address" : "a size";
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) fail(ctx, line, `${path}: ${v} is not ${kind} (an integer from 0 to 2^53 - 1; write larger values as strings)`);
    return BigInt(v);
  }
  try {
    return parseSize(v);
  } catch {
    return fail(ctx, line, `${path}: "${v}" is not ${kind} (examples: 0x40000000, 1073741824, 8G, 512M)`);
  }
}

/** Parses the JSON form of a memory map. */
export function parseJsonMap(text: string, ctx: ParseContext): MemoryMap {
  let located;
  try {
    located = parseJsonWithLines(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) fail(ctx, e.line, e.reason);
    throw e;
  }
  const { value, lines } = located;
  const parsed = MemoryMapJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const keys = i.code === "unrecognized_keys" ? [...i.path, i.keys[0]] : i.path;
      const missing = !lines.has(jsonPath(keys));
      const reason = i.code === "unrecognized_keys" ? `unknown key "${i.keys[0]}"` : missing ? "missing" : i.message;
      return { line: lineOf(lines, keys), text: `${jsonPath(keys) || "the document"}: ${reason}` };
    });
    issues.sort((a, b) => a.line - b.line);
    fail(ctx, issues[0].line, issues[0].text);
  }
  const j = parsed.data;
  const d = emptyDraft();
  const one = (keys: PropertyKey[], what: string, r: { base: string | number; size: string | number }, nid?: number): Entry =>
    entry(ctx, lineOf(lines, keys), what, amount(ctx, lines, [...keys, "base"], r.base), amount(ctx, lines, [...keys, "size"], r.size), nid);
  j.memory.forEach((b, i) => d.memory.push(one(["memory", i], "memory", b, b.node)));
  (j.nomap ?? []).forEach((r, i) => d.nomap.push(one(["nomap", i], "nomap", r)));
  (j.reserved ?? []).forEach((r, i) => d.reserved.push(one(["reserved", i], "reserved", r)));
  if (j.kernel) d.kernel = one(["kernel"], "kernel", j.kernel);
  if (j.kernelData) d.kernelData = one(["kernelData"], "kernelData", j.kernelData);
  if (j.crashkernel) d.crashkernel = one(["crashkernel"], "crashkernel", j.crashkernel);
  if (j.crashkernelLow) d.crashkernelLow = one(["crashkernelLow"], "crashkernelLow", j.crashkernelLow);
  return finish(ctx, d, "error");
}
