/** The two kinds of text line ptdump prints, byte for byte. */
import { ptdumpSize } from "./size.js";

const hex16 = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, "0");

/** `"---[ %s ]---\n"` without the newline. */
export function markerLine(name: string): string {
  return `---[ ${name} ]---`;
}

/**
 * `"0x%016lx-0x%016lx   "`, `"%9lu%c %s"` (the level name unpadded), then `" %s"` per printed prot
 * string (none for a zero prot), without the newline.
 */
export function rangeLine(start: bigint, end: bigint, levelName: string, strings: readonly string[]): string {
  const { value, unit } = ptdumpSize(start, end);
  const size = `${value}`.padStart(9, " ") + unit;
  return `0x${hex16(start)}-0x${hex16(end)}   ${size} ${levelName}${strings.map((s) => ` ${s}`).join("")}`;
}
