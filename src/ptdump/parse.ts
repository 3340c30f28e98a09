/**
 * Parses `kernel_page_tables` text (any number of sections, markers kept) into structured lines and
 * checks it: 16-digit hex addresses, end above start (an end of 0 is 2^64, as the kernel's last line
 * prints it), the size column equal to what note_page() prints for end - start, and each line
 * starting where the previous one ended within a section.
 */
import { PtdumpParseError } from "./parse-error.js";
import { ptdumpSizeText, sizeTextBytes } from "./size.js";

/** A `---[ name ]---` line. */
export interface PtdumpMarker {
  readonly kind: "marker";
  /** 1-based line number. */
  readonly line: number;
  readonly name: string;
}

/** A range line. */
export interface PtdumpRange {
  readonly kind: "range";
  /** 1-based line number. */
  readonly line: number;
  readonly start: bigint;
  /** Exclusive end; 2^64 when the text says 0x0000000000000000 after a higher start. */
  readonly end: bigint;
  /** Bytes, end - start. */
  readonly size: bigint;
  /** The size column as printed: "2M", "23808K". */
  readonly sizeText: string;
  /** Level name: PGD, P4D, PUD, PMD or PTE. */
  readonly level: string;
  /** The printed attribute words, blanks dropped, memory type excluded: ["RW", "NX", "SHD", …]. */
  readonly attributes: readonly string[];
  /** The memory type word ("MEM/NORMAL-TAGGED", "DEVICE/nGnRE"), if printed. */
  readonly memType: string | undefined;
}

/** One parsed line. */
export type PtdumpLine = PtdumpMarker | PtdumpRange;

/** The range lines between a marker and the next one (`name` from the opening marker, " start" dropped). */
export interface PtdumpSection {
  /** Undefined for lines before the first marker or after an "… end" marker. */
  readonly name: string | undefined;
  readonly open: PtdumpMarker | undefined;
  readonly close: PtdumpMarker | undefined;
  readonly ranges: PtdumpRange[];
}

/** A parsed dump. */
export interface ParsedPtdump {
  readonly source: string;
  /** Every line, in order. */
  readonly lines: readonly PtdumpLine[];
  /** The sections, in order (empty ones included when a marker opened them). */
  readonly sections: readonly PtdumpSection[];
}

const TOP = 1n << 64n;
const MARKER = /^---\[ (.*) \]---$/;
// The start stops at the first "-": with \S* there a line of many "-0x" took time quadratic in its length.
const RANGE = /^0x([^\s-]*)-0x(\S*) {3}( *)(\S+) (\S+)(.*)$/;
const HEX16 = /^[0-9a-f]{16}$/;
const MEM_TYPE = /^(MEM|DEVICE)\//;
const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;

/** The fields of a range line. */
type RangeFields = Omit<PtdumpRange, "kind" | "line">;

/** Parses one range line's text: its fields, or the reason it is not one. */
function rangeFields(text: string): RangeFields | string {
  const m = RANGE.exec(text);
  if (!m) return "not a marker or range line";
  const [, s, e, pad, sizeText, level, rest] = m;
  if (!HEX16.test(s)) return `start "0x${s}" is not 16 lowercase hex digits`;
  if (!HEX16.test(e)) return `end "0x${e}" is not 16 lowercase hex digits`;
  const start = BigInt(`0x${s}`);
  let end = BigInt(`0x${e}`);
  if (end === 0n && start !== 0n) end = TOP; // the last line of a dump ends at 2^64
  if (end <= start) return `end ${hex(end)} is not above start ${hex(start)}`;
  if (sizeTextBytes(sizeText) === undefined) return `size "${sizeText}" is not digits and one of K M G T P E`;
  if (pad.length + sizeText.length !== 10 && !(pad.length === 0 && sizeText.length > 10)) {
    return `size "${sizeText}" is not right-aligned in 9 digits and a unit`;
  }
  const want = ptdumpSizeText(start, end);
  if (sizeText !== want) return `size ${sizeText} does not match end - start = ${hex(end - start)} (${want})`;
  if (!/^[A-Z0-9]+$/.test(level)) return `level "${level}" is not a level name`;
  const words = rest.split(" ").filter((w) => w !== "");
  const memType = words.length > 0 && MEM_TYPE.test(words[words.length - 1]) ? words.pop() : undefined;
  return { start, end, size: end - start, sizeText, level, attributes: words, memType };
}

/** Groups lines into sections: a marker ending in " end" closes the open section (and names it if it had no start marker), any other opens one. */
function sectionsOf(lines: readonly PtdumpLine[]): PtdumpSection[] {
  const out: PtdumpSection[] = [];
  let cur: { -readonly [K in keyof PtdumpSection]: PtdumpSection[K] } | undefined;
  for (const l of lines) {
    if (l.kind === "range") {
      if (!cur) out.push((cur = { name: undefined, open: undefined, close: undefined, ranges: [] }));
      cur.ranges.push(l);
    } else if (l.name.endsWith(" end")) {
      // Ranges before any marker closed by "X end" are section X whose start marker the kernel
      // did not print (5.10's ptdump_walk begins at PAGE_OFFSET without "Linear Mapping start").
      if (cur) {
        cur.close = l;
        cur.name ??= l.name.slice(0, -" end".length);
      }
      else out.push({ name: l.name.slice(0, -" end".length), open: undefined, close: l, ranges: [] });
      cur = undefined;
    } else {
      const name = l.name.endsWith(" start") ? l.name.slice(0, -" start".length) : l.name;
      out.push((cur = { name, open: l, close: undefined, ranges: [] }));
    }
  }
  return out;
}

/**
 * Parses ptdump text; throws a PtdumpParseError (`source:line: reason`) at the first bad line.
 * Lines end with "\n" ("\r\n" is accepted); a final newline is optional; blank lines are errors.
 */
export function parsePtdump(text: string, source = "<ptdump>"): ParsedPtdump {
  const raw = text.split("\n");
  if (raw[raw.length - 1] === "") raw.pop();
  const lines: PtdumpLine[] = [];
  let prev: PtdumpRange | undefined;
  raw.forEach((r, i) => {
    const line = i + 1;
    const t = r.endsWith("\r") ? r.slice(0, -1) : r;
    const mk = MARKER.exec(t);
    if (mk) {
      lines.push({ kind: "marker", line, name: mk[1] });
      prev = undefined; // contiguity is checked within a section
      return;
    }
    if (t.trim() === "") throw new PtdumpParseError(source, line, "blank line");
    const fields = rangeFields(t);
    if (typeof fields === "string") throw new PtdumpParseError(source, line, fields);
    if (prev && fields.start !== prev.end) {
      throw new PtdumpParseError(
        source,
        line,
        `starts at ${hex(fields.start)}, but line ${prev.line} ended at ${hex(prev.end)}`,
      );
    }
    prev = { kind: "range", line, ...fields };
    lines.push(prev);
  });
  return { source, lines, sections: sectionsOf(lines) };
}

/** The first section with this name ("Linear Mapping"), or undefined. */
export function findSection(dump: ParsedPtdump, name: string): PtdumpSection | undefined {
  return dump.sections.find((s) => s.name === name);
}
