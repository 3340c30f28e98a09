// One step down a translation table: where a level-d entry lives, whether a descriptor leads to a
// table, and which. Every walker of the engine (map, walk, change, unmap, ranges, the TLB's walk)
// descends with these; the batched walks in walk.ts inline the same arithmetic with the geometry
// hoisted into arguments.
import { PMD_TYPE_TABLE, PTE_TYPE_MASK } from "./descriptor";
import { frameOf, frameSlot, implicitEntry, isImplicit } from "./frames";
import { entryIndex, hwBlockLevel } from "./geometry";

/** Address of addr's entry in the level-d table stored at `table` (a real table, not a record). */
// @ts-ignore: decorator
@inline export function entryAt(table: usize, d: i32, addr: u64): usize {
  return table + (<usize>entryIndex(addr, d) << 3);
}

/** Whether `desc`, read at level d, is a table descriptor: bits 1:0 = 0b11 above the leaf level. */
// @ts-ignore: decorator
@inline export function isTable(desc: u64, d: i32): bool {
  return d > 0 && (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE;
}

/**
 * Whether `desc`, read at level d, is a leaf the hardware takes: a page (0b11) at the last level, or
 * a block (0b01) at a level where the architecture has blocks. Anything else that is not a table
 * faults.
 */
// @ts-ignore: decorator
@inline export function isLeaf(desc: u64, d: i32): bool {
  const type = desc & PTE_TYPE_MASK;
  return d == 0 ? type == PMD_TYPE_TABLE : type == 1 && hwBlockLevel(d);
}

/** The slot (frames.ts) of the table a table descriptor points to: its address, or an implicit record. */
// @ts-ignore: decorator
@inline export function childSlot(desc: u64): u64 {
  return frameSlot(frameOf(desc));
}

/** addr's level-d entry in the table whose slot is `slot`: loaded, or computed if the table is implicit. */
// @ts-ignore: decorator
@inline export function entryIn(slot: u64, d: i32, addr: u64): u64 {
  const index = entryIndex(addr, d);
  return isImplicit(slot) ? implicitEntry(slot, index) : load<u64>(<usize>slot + (<usize>index << 3));
}
