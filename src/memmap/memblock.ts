/**
 * The memblock model: `memblock.memory` (regions with their NOMAP flag and node) and
 * `memblock.reserved`, as 6.1 `mm/memblock.c` keeps them. Values are immutable: every operation
 * returns a new `Memblock` and leaves its argument alone.
 *
 * Rules followed (6.1 `mm/memblock.c`):
 * - `memblock_add_range()` inserts only the parts of the new range no region covers yet (with the
 *   given node and no flags); sizes are capped at `PHYS_ADDR_MAX - base` (`memblock_cap_size()`).
 * - `memblock_merge_regions()` merges neighbours that touch and have the same node and flags, so
 *   contiguous memory stays split where the NOMAP flag (or the node) changes.
 * - `memblock_mark_nomap()` / `memblock_clear_nomap()` split regions at the range ends
 *   (`memblock_isolate_range()`), set or clear the flag on the regions inside, then merge.
 * - `memblock_start_of_DRAM()` / `memblock_end_of_DRAM()` / `memblock_phys_mem_size()` count NOMAP
 *   regions too; `for_each_mem_range()` skips them. An empty memblock has start and end 0, as the
 *   kernel's single empty dummy region gives.
 */
import { type MemoryMap, type PhysRange, rangeEnd } from "./model.js";

/** One region of `memblock.memory`. `nid` undefined is the kernel's "no node yet" (MAX_NUMNODES). */
export interface MemblockRegion extends PhysRange {
  readonly nomap: boolean;
  readonly nid?: number;
}

/** `memblock.memory` and `memblock.reserved`, each sorted, merged, without overlaps. */
export interface Memblock {
  readonly memory: readonly MemblockRegion[];
  readonly reserved: readonly PhysRange[];
}

/** A memblock with no regions. */
export const EMPTY_MEMBLOCK: Memblock = { memory: [], reserved: [] };

const PHYS_ADDR_MAX = (1n << 64n) - 1n;

function region(base: bigint, size: bigint, nomap: boolean, nid: number | undefined): MemblockRegion {
  return nid === undefined ? { base, size, nomap } : { base, size, nomap, nid };
}

/** `memblock_merge_regions()`. */
function merge(list: readonly MemblockRegion[]): MemblockRegion[] {
  const out: MemblockRegion[] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && rangeEnd(last) === r.base && last.nid === r.nid && last.nomap === r.nomap) {
      out[out.length - 1] = region(last.base, last.size + r.size, last.nomap, last.nid);
    } else {
      out.push(r);
    }
  }
  return out;
}

/** `memblock_add_range()`: the uncovered parts of `[base, base + size)` become regions of node `nid`. */
function addRange(list: readonly MemblockRegion[], base: bigint, size: bigint, nid: number | undefined): MemblockRegion[] {
  const end = base + (size < PHYS_ADDR_MAX - base ? size : PHYS_ADDR_MAX - base);
  if (end <= base) return [...list];
  const pieces: MemblockRegion[] = [];
  let cur = base;
  for (const r of list) {
    if (rangeEnd(r) <= cur) continue;
    if (r.base >= end) break;
    if (r.base > cur) pieces.push(region(cur, r.base - cur, false, nid));
    cur = rangeEnd(r);
    if (cur >= end) break;
  }
  if (cur < end) pieces.push(region(cur, end - cur, false, nid));
  return merge([...list, ...pieces].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0)));
}

/** `memblock_isolate_range()`: regions split so that none crosses `base` or `end`. */
function isolate(list: readonly MemblockRegion[], base: bigint, end: bigint): MemblockRegion[] {
  const out: MemblockRegion[] = [];
  for (const r of list) {
    const cuts = [r.base, ...[base, end].filter((c) => c > r.base && c < rangeEnd(r)), rangeEnd(r)];
    for (let i = 1; i < cuts.length; i++) out.push(region(cuts[i - 1], cuts[i] - cuts[i - 1], r.nomap, r.nid));
  }
  return out;
}

function inside(r: PhysRange, base: bigint, end: bigint): boolean {
  return r.base >= base && rangeEnd(r) <= end;
}

function setNomap(mb: Memblock, base: bigint, size: bigint, nomap: boolean): Memblock {
  const end = base + size;
  const memory = isolate(mb.memory, base, end).map((r) => (inside(r, base, end) ? region(r.base, r.size, nomap, r.nid) : r));
  return { memory: merge(memory), reserved: mb.reserved };
}

/** `memblock_add_node()` (or `memblock_add()` without `nid`): adds memory. */
export function memblockAdd(mb: Memblock, base: bigint, size: bigint, nid?: number): Memblock {
  return { memory: addRange(mb.memory, base, size, nid), reserved: mb.reserved };
}

/** `memblock_remove()`: removes memory in `[base, base + size)`. */
export function memblockRemove(mb: Memblock, base: bigint, size: bigint): Memblock {
  const end = base + size;
  return { memory: isolate(mb.memory, base, end).filter((r) => !inside(r, base, end)), reserved: mb.reserved };
}

/** `memblock_mark_nomap()`: the memory in the range is left out of the linear map. */
export function memblockMarkNomap(mb: Memblock, base: bigint, size: bigint): Memblock {
  return setNomap(mb, base, size, true);
}

/** `memblock_clear_nomap()`: the memory in the range is mapped again. */
export function memblockClearNomap(mb: Memblock, base: bigint, size: bigint): Memblock {
  return setNomap(mb, base, size, false);
}

/** `memblock_reserve()`: adds to `memblock.reserved` (reserved memory is still mapped). */
export function memblockReserve(mb: Memblock, base: bigint, size: bigint): Memblock {
  const reserved = addRange(
    mb.reserved.map((r) => region(r.base, r.size, false, undefined)),
    base,
    size,
    undefined,
  ).map((r) => ({ base: r.base, size: r.size }));
  return { memory: mb.memory, reserved };
}

/** `memblock_start_of_DRAM()`: the base of the first region, NOMAP or not (0 when empty). */
export function memblockStartOfDRAM(mb: Memblock): bigint {
  return mb.memory.length > 0 ? mb.memory[0].base : 0n;
}

/** `memblock_end_of_DRAM()`: the end of the last region, NOMAP or not (0 when empty). */
export function memblockEndOfDRAM(mb: Memblock): bigint {
  const last = mb.memory[mb.memory.length - 1];
  return last ? rangeEnd(last) : 0n;
}

/** `memblock_phys_mem_size()`: total RAM, NOMAP regions included. */
export function memblockPhysMemSize(mb: Memblock): bigint {
  return mb.memory.reduce((s, r) => s + r.size, 0n);
}

/** Bytes in NOMAP regions. */
export function memblockNomapSize(mb: Memblock): bigint {
  return mb.memory.reduce((s, r) => s + (r.nomap ? r.size : 0n), 0n);
}

/** `for_each_mem_range()`: the non-NOMAP regions, one range per region, as `map_mem()` maps them. */
export function forEachMemRange(mb: Memblock): PhysRange[] {
  return mb.memory.filter((r) => !r.nomap).map((r) => ({ base: r.base, size: r.size }));
}

/**
 * The memblock a parsed map describes: every bank added (with its node), the NOMAP ranges marked,
 * and reserved `reserved`, the kernel image `[_stext, _end)` (`kernel` to the end of `kernelData`)
 * and the crashkernel ranges.
 */
export function memblockFromMap(map: MemoryMap): Memblock {
  let mb = EMPTY_MEMBLOCK;
  for (const b of map.memory) mb = memblockAdd(mb, b.base, b.size, b.nid);
  for (const n of map.nomap) mb = memblockMarkNomap(mb, n.base, n.size);
  for (const r of map.reserved) mb = memblockReserve(mb, r.base, r.size);
  const parts = [map.kernel, map.kernelData].filter((r): r is PhysRange => r !== undefined);
  if (parts.length > 0) {
    const base = parts.reduce((m, r) => (r.base < m ? r.base : m), parts[0].base);
    const end = parts.reduce((m, r) => (rangeEnd(r) > m ? rangeEnd(r) : m), 0n);
    mb = memblockReserve(mb, base, end - base);
  }
  for (const c of [map.crashkernel, map.crashkernelLow]) if (c) mb = memblockReserve(mb, c.base, c.size);
  return mb;
}

/** `r` without the ranges of `holes` (sorted by base, disjoint), in address order. */
export function rangeMinus(r: PhysRange, holes: readonly PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  let cur = r.base;
  const end = rangeEnd(r);
  for (const x of holes) {
    if (rangeEnd(x) <= cur || x.base >= end) continue;
    if (x.base > cur) out.push({ base: cur, size: x.base - cur });
    cur = rangeEnd(x);
  }
  if (cur < end) out.push({ base: cur, size: end - cur });
  return out;
}

/** The free ranges top-down: `memblock.memory` without NOMAP regions, minus `memblock.reserved` (for_each_free_mem_range_reverse). */
export function memblockFreeRanges(mb: Memblock): PhysRange[] {
  return mb.memory.filter((r) => !r.nomap).flatMap((r) => rangeMinus(r, mb.reserved)).reverse();
}

/**
 * `memblock_find_in_range_node()` top-down (`__memblock_find_range_top_down()`): the highest
 * `align`-aligned base of `size` free bytes inside `[start, end)`, never below PAGE_SIZE.
 */
export function memblockFindInRange(mb: Memblock, size: bigint, align: bigint, start: bigint, end: bigint): bigint | undefined {
  if (start < 4096n) start = 4096n;
  for (const f of memblockFreeRanges(mb)) {
    const lo = f.base > start ? f.base : start;
    const hi = rangeEnd(f) < end ? rangeEnd(f) : end;
    if (hi < size) continue;
    const cand = ((hi - size) / align) * align; // round_down(this_end - size, align)
    if (cand >= lo) return cand;
  }
  return undefined;
}

/** `memblock_phys_alloc_range()`: finds top-down and reserves; undefined when nothing fits. */
export function memblockPhysAllocRange(mb: Memblock, size: bigint, align: bigint, start: bigint, end: bigint): { memblock: Memblock; base: bigint } | undefined {
  const base = memblockFindInRange(mb, size, align, start, end);
  return base === undefined ? undefined : { memblock: memblockReserve(mb, base, size), base };
}

/** Whether `[base, base + size)` is free memory (inside one free range). */
export function memblockIsFree(mb: Memblock, base: bigint, size: bigint): boolean {
  return memblockFreeRanges(mb).some((f) => base >= f.base && base + size <= rangeEnd(f));
}

/** `for_each_mem_range()`: the regions of `memblock.memory` without NOMAP, ascending. */
export function memblockMappable(mb: Memblock): PhysRange[] {
  return mb.memory.filter((r) => !r.nomap).map((r) => ({ base: r.base, size: r.size }));
}
