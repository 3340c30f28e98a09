/**
 * Prints parsed lines again in the kernel's layout. The attribute words go back into dump_prot()'s
 * fixed columns (VALID, USER, RDONLY, PXN, SHARED, AF, nG, CONT, BLK, UXN, GP, then the memory type),
 * so a dump the kernel printed renders back to the same bytes.
 */
import { markerLine, rangeLine } from "./line.js";
import type { PtdumpLine, PtdumpRange } from "./parse.js";

/** dump_prot()'s columns: the word printed when the field is set (or the alternative), else the blank. */
const COLUMNS: readonly (readonly [words: readonly string[], blank: string])[] = [
  [["F"], " "],
  [["USR"], "   "],
  [["ro"], "RW"],
  [["NX"], "x "],
  [["SHD"], "   "],
  [["AF"], "  "],
  [["NG"], "  "],
  [["CON"], "   "],
  [["BLK"], "   "],
  [["UXN"], "   "],
  [["GP"], "  "],
];

/** The " %s" strings of a range line, rebuilt from its words; words outside the columns go last. */
export function attributeStrings(r: Pick<PtdumpRange, "attributes" | "memType">): string[] {
  if (r.attributes.length === 0 && r.memType === undefined) return []; // a zero prot prints nothing
  const left = new Set(r.attributes);
  const out = COLUMNS.map(([words, blank]) => {
    const w = words.find((x) => left.delete(x));
    return w ?? blank;
  });
  // "RW" and "x " are the printed alternatives of ro and NX: consume them.
  left.delete("RW");
  left.delete("x");
  out.push(...left);
  if (r.memType !== undefined) out.push(r.memType);
  return out;
}

/** One line of text (no newline). */
export function renderPtdumpLine(l: PtdumpLine): string {
  if (l.kind === "marker") return markerLine(l.name);
  return rangeLine(l.start, l.end, l.level, attributeStrings(l));
}

/** The text of parsed lines, each ending with "\n". */
export function renderPtdump(lines: readonly PtdumpLine[]): string {
  return lines.map((l) => `${renderPtdumpLine(l)}\n`).join("");
}
