// unmap(): clears every leaf of a range and frees the tables that become empty (the kernel's
// unmap_hotplug_range followed by free_empty_tables). An implicit PTE table (frames.ts) that the range
// covers whole is freed as it is; one covered in part is materialized first.
import { PTE_CONT } from "./descriptor";
import { countWrites, frameAddr, frameOf, frameSlot, freeFrame, implicitEntry, isImplicit, materialize, reserveFrames } from "./frames";
import { CONT_PMDS, CONT_PTES, PAGE_SHIFT, TOP, addrEnd, entryIndex, entrySize } from "./geometry";
import { childSlot, entryAt, isTable } from "./table";
import { E_BLOCK, E_NOMEM, KIND_PARTIAL, OK, fail } from "./status";

let status: i32 = OK;
let rangeStart: u64 = 0;
let rangeLast: u64 = 0; // inclusive, so a range up to 2^64 fits
/** Implicit tables the range covers in part: each takes a storage page. */
let pagesNeeded: u64 = 0;


/** Whether [first, first + size) lies inside the range being unmapped. */
function covered(first: u64, size: u64): bool {
  return first >= rangeStart && first + (size - 1) <= rangeLast;
}

/** Refuses a leaf (or its CONT group) that the range covers only in part. */
function checkRange(table: usize, d: i32, addr: u64, end: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const desc = load<u64>(entryAt(table, d, addr));
    if (desc != 0) {
      if (isTable(desc, d)) {
        const slot = childSlot(desc);
        if (isImplicit(slot)) checkImplicit(slot, addr, next);
        else checkRange(<usize>slot, d - 1, addr, next);
        if (status != OK) return;
      } else {
        let span = size;
        if (desc & PTE_CONT) span *= d == 0 ? CONT_PTES : CONT_PMDS;
        if (!covered(addr & ~(span - 1), span)) {
          status = fail(E_BLOCK, addr, d, desc, 0, KIND_PARTIAL);
          return;
        }
      }
    }
    addr = next;
  } while (addr != end);
}

/**
 * checkRange() for [addr, end) in the implicit PTE table with record `slot`: pages are always
 * covered, so only a CONT group at either end of the range can be partial.
 */
function checkImplicit(slot: u64, addr: u64, end: u64): void {
  if (end - addr != entrySize(1)) pagesNeeded++; // cleared in part: materialized
  if ((slot & PTE_CONT) == 0) return;
  const span = entrySize(0) * CONT_PTES;
  const first = addr & ~(span - 1);
  if (!covered(first, span)) {
    status = fail(E_BLOCK, addr, 0, implicitEntry(slot, entryIndex(addr, 0)), 0, KIND_PARTIAL);
    return;
  }
  const last = (end - 1) & ~(span - 1);
  if (!covered(last, span)) status = fail(E_BLOCK, last, 0, implicitEntry(slot, entryIndex(last, 0)), 0, KIND_PARTIAL);
}

/** Whether every entry of a table is empty. */
function tableEmpty(table: usize): bool {
  const stop = table + (<usize>1 << PAGE_SHIFT);
  for (let p = table; p < stop; p += 8) if (load<u64>(p) != 0) return false;
  return true;
}

/** Clears the leaves of [addr, end) under a level-d table; frees child tables left empty. */
function clearRange(table: usize, d: i32, addr: u64, end: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const p = entryAt(table, d, addr);
    const desc = load<u64>(p);
    if (desc != 0) {
      if (isTable(desc, d)) {
        const frame = frameOf(desc);
        const slot = frameSlot(frame);
        if (isImplicit(slot) && next - addr == entrySize(1)) {
          // A whole implicit table: every entry is cleared (none is zero), then the table freed.
          countWrites(0, <u64>1 << (PAGE_SHIFT - 3));
          store<u64>(p, 0);
          countWrites(d, 1);
          freeFrame(frame, d - 1);
          addr = next;
          continue;
        }
        const child = isImplicit(slot) ? materialize(frame) : <usize>slot;
        clearRange(child, d - 1, addr, next);
        if (tableEmpty(child)) {
          store<u64>(p, 0);
          countWrites(d, 1);
          freeFrame(frame, d - 1);
        }
      } else {
        store<u64>(p, 0);
        countWrites(d, 1);
      }
    }
    addr = next;
  } while (addr != end);
}

/** Unmaps [va, va + size). */
export function unmapRange(va: u64, size: u64): i32 {
  status = OK;
  rangeStart = va;
  rangeLast = va + size - 1;
  pagesNeeded = 0;
  checkRange(frameAddr(0), TOP, va, va + size);
  if (status != OK) return status;
  if (!reserveFrames(0, pagesNeeded)) return fail(E_NOMEM, va, TOP, 0, 0, 0);
  clearRange(frameAddr(0), TOP, va, va + size);
  return OK;
}
