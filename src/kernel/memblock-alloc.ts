/** memblock's top-down search for free memory (mm/memblock.c __memblock_find_range_top_down). */

/** A physical range [base, base + size). */
export interface Range {
  base: bigint;
  size: bigint;
}

/**
 * The highest `align`-aligned base of `size` free bytes inside [start, end), searching the free
 * ranges from the top, as memblock_find_in_range() does on arm64 (memblock allocates top-down).
 */
export function findFreeTopDown(free: Range[], size: bigint, align: bigint, start: bigint, end: bigint): bigint | undefined {
  // memblock_find_in_range_node(): never below PAGE_SIZE (a result of 0 means failure).
  if (start < 4096n) start = 4096n;
  const sorted = [...free].sort((a, b) => (a.base < b.base ? 1 : a.base > b.base ? -1 : 0));
  for (const f of sorted) {
    const lo = f.base > start ? f.base : start;
    const hi = f.base + f.size < end ? f.base + f.size : end;
    if (hi < size) continue;
    const cand = ((hi - size) / align) * align; // round_down(this_end - size, align)
    if (cand >= lo) return cand;
  }
  return undefined;
}
