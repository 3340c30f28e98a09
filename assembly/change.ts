// setMemory(): the kernel's __change_memory_common. Two ways to meet blocks and contiguous entries:
// classic (apply_to_page_range: page granularity required, a block or CONT entry refuses) and split
// (v6.18 with BBML2_NOABORT: split_kernel_leaf_mapping at both ends, then change leaves in place).
import { PMD_TABLE_PXN, PMD_TYPE_TABLE, PTE_CONT, PTE_PXN, PTE_TABLE_BIT, PTE_TYPE_MASK, decodeOA, encodeOA, oaField } from "./descriptor";
import { allocFrame, countWrites, frameAddr, frameOf, reserveFrames } from "./frames";
import { CONT_PMDS, CONT_PTES, PAGE_SHIFT, TOP, addrEnd, entryIndex, entrySize } from "./geometry";
import { tableAttrs } from "./map";
import { E_BLOCK, E_NOMEM, E_NOT_MAPPED, KIND_BLOCK, KIND_CONT, OK, fail } from "./status";

let setMask: u64 = 0;
let clearMask: u64 = 0;
let status: i32 = OK;

// @ts-ignore: decorator
@inline function entryAt(table: usize, d: i32, addr: u64): usize {
  return table + (<usize>entryIndex(addr, d) << 3);
}

// @ts-ignore: decorator
@inline function isTable(desc: u64, d: i32): bool {
  return d > 0 && (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE;
}

/**
 * Checks that every entry of [addr, end) under a level-d table is mapped; with `pagesOnly`
 * (classic), also that each is a non-CONT page.
 */
function checkRange(table: usize, d: i32, addr: u64, end: u64, pagesOnly: bool): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const desc = load<u64>(entryAt(table, d, addr));
    if (desc == 0) {
      status = fail(E_NOT_MAPPED, addr, d, 0, 0, 0);
      return;
    }
    if (isTable(desc, d)) {
      checkRange(frameAddr(frameOf(desc)), d - 1, addr, next, pagesOnly);
      if (status != OK) return;
    } else if (pagesOnly && d > 0) {
      status = fail(E_BLOCK, addr, d, desc, 0, KIND_BLOCK); // apply_to_pmd_range: WARN, -EINVAL (PUD: BUG)
      return;
    } else if (pagesOnly && (desc & PTE_CONT) != 0) {
      status = fail(E_BLOCK, addr, d, desc, 0, KIND_CONT); // a CONT entry cannot be rewritten alone
      return;
    }
    addr = next;
  } while (addr != end);
}

/** Rewrites every leaf of [addr, end) under a level-d table as (old & ~clear) | set. */
function changeRange(table: usize, d: i32, addr: u64, end: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const p = entryAt(table, d, addr);
    const desc = load<u64>(p);
    if (isTable(desc, d)) {
      changeRange(frameAddr(frameOf(desc)), d - 1, addr, next);
    } else {
      store<u64>(p, (desc & ~clearMask) | setMask);
      countWrites(d, 1);
    }
    addr = next;
  } while (addr != end);
}

/** split_contpte() / split_contpmd(): clears CONT on the whole aligned group holding `p`. */
function clearContGroup(p: usize, d: i32): void {
  const n = d == 0 ? CONT_PTES : CONT_PMDS;
  let q = p & ~((<usize>n << 3) - 1); // the group starts at an n-entry boundary of the table
  for (let i: u64 = 0; i < n; i++, q += 8) store<u64>(q, load<u64>(q) & ~PTE_CONT);
  countWrites(d, n);
}

/**
 * split_pud() / split_pmd() with to_cont: replaces the block at `p` (level d) by a table of
 * level-(d-1) leaves with the same attributes and CONT; the table descriptor takes PXNTable when
 * the block had PXN. Returns the new table's address.
 */
function splitBlock(p: usize, d: i32): usize {
  const block = load<u64>(p);
  const frame = allocFrame(d - 1);
  const table = frameAddr(frame);
  let prot = block & ~oaField() & ~PTE_CONT & ~PTE_TYPE_MASK;
  prot |= (d - 1 == 0 ? PTE_TYPE_MASK : <u64>1) | PTE_CONT; // page 0b11 or block 0b01, with CONT
  const step = entrySize(d - 1);
  const n = <u64>1 << (PAGE_SHIFT - 3);
  let pa = decodeOA(block);
  for (let i: u64 = 0; i < n; i++, pa += step) store<u64>(table + (<usize>i << 3), encodeOA(pa) | prot);
  countWrites(d - 1, n);
  let desc = (<u64>frame << PAGE_SHIFT) | PMD_TYPE_TABLE | tableAttrs;
  if (block & PTE_PXN) desc |= PMD_TABLE_PXN;
  store<u64>(p, desc);
  countWrites(d, 1);
  return table;
}

/** Whether addr is already a leaf boundary at level d (the CONT group size at d = 0 and 1). */
function boundaryAt(addr: u64, d: i32): bool {
  let size = entrySize(d);
  if (d == 0) size *= CONT_PTES;
  else if (d == 1) size *= CONT_PMDS;
  return (addr & (size - 1)) == 0;
}

/**
 * split_kernel_leaf_mapping_locked(addr): splits leaves so that addr becomes a leaf boundary.
 * With `dry`, writes nothing and returns the frames it would allocate.
 */
function splitAt(addr: u64, dry: bool): u64 {
  let table = frameAddr(0);
  let frames: u64 = 0;
  for (let d = TOP; d >= 0; d--) {
    if (boundaryAt(addr, d)) return frames;
    const p = entryAt(table, d, addr);
    const desc = load<u64>(p);
    if ((desc & 1) == 0) return frames; // not present: nothing to split
    if (isTable(desc, d)) {
      table = frameAddr(frameOf(desc));
      continue;
    }
    if (d >= 3) return frames; // Linux has no blocks up here
    if (d == 2) {
      // A PUD block becomes CONT PMD blocks; the PMD below addr then splits if addr is not 2M aligned.
      if (dry) return frames + 1 + ((addr & (entrySize(1) - 1)) != 0 ? 1 : 0);
      table = splitBlock(p, 2);
      continue;
    }
    if (desc & PTE_CONT) {
      if (!dry) clearContGroup(p, d);
    }
    if (d == 0 || (addr & (entrySize(1) - 1)) == 0) return frames;
    if (dry) return frames + 1;
    table = splitBlock(p, 1);
  }
  return frames;
}

/** Changes [va, va + size): `split` = 0 for classic, 1 for split on demand. */
export function changeRangeProt(va: u64, size: u64, set: u64, clear: u64, split: u32): i32 {
  setMask = set;
  clearMask = clear;
  status = OK;
  const end = va + size;
  checkRange(frameAddr(0), TOP, va, end, split == 0);
  if (status != OK) return status;
  if (split != 0) {
    const need = splitAt(va, true) + splitAt(end, true);
    if (!reserveFrames(need)) return fail(E_NOMEM, va, TOP, 0, need, 0);
    splitAt(va, false);
    splitAt(end, false);
  }
  changeRange(frameAddr(0), TOP, va, end);
  return OK;
}
