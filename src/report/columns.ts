/** Plain-text tables for the terminal: columns padded to their widest cell, two spaces apart. */

/** Lays out `rows` (the first is the header) as aligned columns; `rightAlign(c)` right-aligns column c. */
export function columns(rows: readonly string[][], rightAlign: (c: number) => boolean = () => false): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((x, c) => (rightAlign(c) ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join("  ").trimEnd()).join("\n");
}
