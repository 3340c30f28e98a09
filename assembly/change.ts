// setMemory(): the kernel's __change_memory_common. Three ways to meet blocks and contiguous entries:
// classic (apply_to_page_range: page granularity required, a block or CONT entry refuses), split
// (v6.18 with BBML2_NOABORT: split_kernel_leaf_mapping at both ends, then change leaves in place)
// and leaf (v7.x with no split needed: leaves changed in place; a block covered in part refuses).
// An implicit PTE table (frames.ts) that the range covers whole stays implicit: the masks leave the
// OA alone, so the changed entries are still a run and only the record changes. One covered in part
// is materialized first, as is one whose CONT group a split clears.
import { PMD_TABLE_PXN, PMD_TYPE_TABLE, PTE_CONT, PTE_PXN, PTE_TYPE_MASK, decodeOA, encodeOA, oaField } from "./descriptor";
import { allocFrame, countWrites, frameAddr, frameOf, frameSlot, implicitEntry, isImplicit, materialize, replaceWithRecord, reserveFrames } from "./frames";
import { CONT_PMDS, CONT_PTES, PAGE_SHIFT, TOP, addrEnd, entryIndex, entrySize } from "./geometry";
import { tableAttrs } from "./map";
import { childSlot, entryAt, entryIn, isTable } from "./table";
import { E_BLOCK, E_NOMEM, E_NOT_MAPPED, KIND_BLOCK, KIND_CONT, OK, fail } from "./status";

let setMask: u64 = 0;
let clearMask: u64 = 0;
let status: i32 = OK;
/** Storage pages the call may need (materializations), counted before anything is written. */
let pagesNeeded: u64 = 0;
/** Frames the splits allocate, counted by the dry pass of splitAt. */
let framesNeeded: u64 = 0;


/** Whether the leaf check refuses a block the range covers in part (leaf mode: pageattr_pmd_entry's WARN, -EINVAL). */
let wholeBlocks: bool = false;

/**
 * Checks that every entry of [addr, end) under a level-d table is mapped; with `pagesOnly`
 * (classic), also that each is a non-CONT page; with `wholeBlocks` (leaf), that each block is whole.
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
      const slot = childSlot(desc);
      if (isImplicit(slot)) checkImplicit(slot, addr, next, pagesOnly);
      else checkRange(<usize>slot, d - 1, addr, next, pagesOnly);
      if (status != OK) return;
    } else if (pagesOnly && d > 0) {
      status = fail(E_BLOCK, addr, d, desc, 0, KIND_BLOCK); // apply_to_pmd_range: WARN, -EINVAL (PUD: BUG)
      return;
    } else if (pagesOnly && (desc & PTE_CONT) != 0) {
      status = fail(E_BLOCK, addr, d, desc, 0, KIND_CONT); // a CONT entry cannot be rewritten alone
      return;
    } else if (wholeBlocks && d > 0 && next - addr != size) {
      status = fail(E_BLOCK, addr, d, desc, 0, KIND_BLOCK); // a block covered in part
      return;
    }
    addr = next;
  } while (addr != end);
}

/**
 * checkRange() for [addr, end) in the implicit PTE table with record `slot`: its entries are all
 * mapped and alike but for the OA, so only CONT can refuse, at the first entry.
 */
function checkImplicit(slot: u64, addr: u64, end: u64, pagesOnly: bool): void {
  if (pagesOnly && (slot & PTE_CONT) != 0) {
    status = fail(E_BLOCK, addr, 0, implicitEntry(slot, entryIndex(addr, 0)), 0, KIND_CONT);
    return;
  }
  if (end - addr != entrySize(1)) pagesNeeded++; // changed in part: materialized
}

/** Rewrites every leaf of [addr, end) under a level-d table as (old & ~clear) | set. */
function changeRange(table: usize, d: i32, addr: u64, end: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const p = entryAt(table, d, addr);
    const desc = load<u64>(p);
    if (isTable(desc, d)) {
      const frame = frameOf(desc);
      const slot = frameSlot(frame);
      if (!isImplicit(slot)) {
        changeRange(<usize>slot, d - 1, addr, next);
      } else if (next - addr == entrySize(1)) {
        // The whole implicit table: every entry changes alike, the run stays a run.
        replaceWithRecord(frame, (slot & ~clearMask) | setMask);
        countWrites(0, <u64>1 << (PAGE_SHIFT - 3));
      } else {
        changeRange(materialize(frame), 0, addr, next);
      }
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
 * the block had PXN. Returns the new frame. (A PTE table made so is a run of pages, but the range
 * being changed covers it only in part, so it is made real at once rather than implicit.)
 */
function splitBlock(p: usize, d: i32): u32 {
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
  return frame;
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
 * With `dry`, writes nothing and adds the frames it would allocate to framesNeeded, and the storage
 * pages to pagesNeeded: one per frame, plus an implicit PTE table materialized to clear CONT.
 */
function splitAt(addr: u64, dry: bool): void {
  let frame: u32 = 0;
  for (let d = TOP; d >= 0; d--) {
    if (boundaryAt(addr, d)) return;
    let slot = frameSlot(frame);
    const index = entryIndex(addr, d);
    const desc = entryIn(slot, d, addr);
    if ((desc & 1) == 0) return; // not present: nothing to split
    if (isTable(desc, d)) {
      frame = frameOf(desc);
      continue;
    }
    if (d >= 3) return; // Linux has no blocks up here
    const p = <usize>slot + (<usize>index << 3); // a block is in a real table; a page may be implicit
    if (d == 2) {
      // A PUD block becomes CONT PMD blocks; the PMD below addr then splits if addr is not 2M aligned.
      if (dry) {
        const frames: u64 = (addr & (entrySize(1) - 1)) != 0 ? 2 : 1;
        framesNeeded += frames;
        pagesNeeded += frames;
        return;
      }
      frame = splitBlock(p, 2);
      continue;
    }
    if (desc & PTE_CONT) {
      if (d == 0 && isImplicit(slot)) {
        if (dry) {
          pagesNeeded++;
          return;
        }
        slot = <u64>materialize(frame);
      }
      if (!dry) clearContGroup(<usize>slot + (<usize>index << 3), d);
    }
    if (d == 0 || (addr & (entrySize(1) - 1)) == 0) return;
    if (dry) {
      framesNeeded++;
      pagesNeeded++;
      return;
    }
    frame = splitBlock(p, 1);
  }
}

/** Changes [va, va + size): `mode` = 0 for classic, 1 for split on demand, 2 for leaves in place. */
export function changeRangeProt(va: u64, size: u64, set: u64, clear: u64, mode: u32): i32 {
  const split: u32 = mode == 1 ? 1 : 0;
  wholeBlocks = mode == 2;
  setMask = set;
  clearMask = clear;
  status = OK;
  pagesNeeded = 0;
  framesNeeded = 0;
  const end = va + size;
  checkRange(frameAddr(0), TOP, va, end, mode == 0);
  if (status != OK) return status;
  if (split != 0) {
    splitAt(va, true);
    splitAt(end, true);
  }
  // Counted apart, the splits and the change may both count the table at a boundary: a page spare.
  if (!reserveFrames(framesNeeded, pagesNeeded)) return fail(E_NOMEM, va, TOP, 0, framesNeeded, 0);
  if (split != 0) {
    splitAt(va, false);
    splitAt(end, false);
  }
  changeRange(frameAddr(0), TOP, va, end);
  return OK;
}
