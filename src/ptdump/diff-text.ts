/**
 * Text of a ptdump diff, one line per difference:
 * `0xffff000000200000-0xffff000002200000: A maps 32M PMD BLK ro, B maps 8192 x 4K PTE RW`,
 * then a summary line.
 */
import type { PtdumpDiff, PtdumpDiffEntry, PtdumpSide } from "./diff.js";

/** Options of renderPtdumpDiff. */
export interface DiffTextOptions {
  /** Names of the two dumps (default "A" and "B"). */
  labels?: readonly [string, string];
  /** Page size in bytes: PTE ranges are then told as a count of pages ("8192 x 4K PTE"). */
  pageSize?: bigint;
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;

/** Bytes in ptdump's units (the largest that divides exactly), "0" for none. */
function bytesText(n: bigint): string {
  if (n === 0n) return "0";
  const units = ["", "K", "M", "G", "T", "P", "E"];
  let u = 0;
  while (u < units.length - 1 && n % 1024n === 0n) {
    n /= 1024n;
    u++;
  }
  return `${n}${units[u]}`;
}

/** The words of `s` the other side does not have, in print order, then its memory type if it differs. */
function ownWords(s: PtdumpSide, other: PtdumpSide): string[] {
  const words = s.attributes.filter((w) => !other.attributes.includes(w));
  if (s.memType !== undefined && s.memType !== other.memType) words.push(s.memType);
  return words;
}

function sideText(e: PtdumpDiffEntry, s: PtdumpSide, other: PtdumpSide, label: string, pageSize: bigint | undefined): string {
  if (s.state === "absent") return `${label} has no line here`;
  if (s.state === "empty") return `${label} maps nothing (empty ${s.level})`;
  const span = e.end - e.start;
  const amount = s.level === "PTE" && pageSize ? `${span / pageSize} x ${bytesText(pageSize)}` : bytesText(span);
  const words = e.kind === "changed" && other.state === "mapped" ? ownWords(s, other) : [...s.attributes, ...(s.memType ? [s.memType] : [])];
  return [`${label} maps ${amount} ${s.level}`, ...words].join(" ");
}

/** One difference as a line of text (no newline). */
export function renderPtdumpDiffEntry(e: PtdumpDiffEntry, options: DiffTextOptions = {}): string {
  const [la, lb] = options.labels ?? ["A", "B"];
  const a = sideText(e, e.a, e.b, la, options.pageSize);
  const b = sideText(e, e.b, e.a, lb, options.pageSize);
  return `${hex(e.start)}-${hex(e.end)}: ${a}, ${b}`;
}

/** Every difference, one per line, then the summary; each line ends with "\n". */
export function renderPtdumpDiff(diff: PtdumpDiff, options: DiffTextOptions = {}): string {
  const [la, lb] = options.labels ?? ["A", "B"];
  const s = diff.summary;
  const summary =
    s.total === 0
      ? "no differences"
      : `${s.total} difference${s.total === 1 ? "" : "s"}: ${s.changed} changed (${bytesText(s.bytes.changed)}), ` +
        `${s.onlyA} only in ${la} (${bytesText(s.bytes.onlyA)}), ${s.onlyB} only in ${lb} (${bytesText(s.bytes.onlyB)})`;
  return [...diff.entries.map((e) => renderPtdumpDiffEntry(e, options)), summary].map((l) => `${l}\n`).join("");
}
