// ranges(): the entries of a VA range as ptdump's walk meets them (tables descended, leaves and
// empty entries at their level), coalesced while the level and the masked descriptor stay the same.
import { decodeOA, oaField } from "./descriptor";
import { frameAddr, implicitEntry, isImplicit } from "./frames";
import { TOP, addrEnd, entryIndex, entrySize } from "./geometry";
import { childSlot, entryAt, isTable } from "./table";

/** Bytes per record: start, end (0 = 2^64), first descriptor, hardware level. */
export const RECORD_BYTES: u32 = 32;
/** Where a call that filled its buffer stopped: resume from here. [0] resume VA, [1] 1 if done. */
export const RANGES_STATE: usize = memory.data(16, 8);

let mask: u64 = 0;
let exact = false;
let out: usize = 0;
let outCount: u32 = 0;
let outMax: u32 = 0;
let full = false;
// The range being gathered.
let openStart: u64 = 0;
let openEnd: u64 = 0;
let openDesc: u64 = 0;
let openPa: u64 = 0; // OA at openStart, for `exact`
let openD: i32 = -1; // -1: nothing open

/** Closes the open range into the buffer; false when the buffer is full. */
function flush(): bool {
  if (openD < 0) return true;
  if (outCount == outMax) return false;
  const r = out + (<usize>outCount * RECORD_BYTES);
  store<u64>(r, openStart);
  store<u64>(r, openEnd, 8);
  store<u64>(r, openDesc, 16);
  store<i64>(r, <i64>(3 - openD), 24);
  outCount++;
  openD = -1;
  return true;
}

/** One entry [start, next) at level d: extends the open range or starts a new one. */
function note(start: u64, next: u64, d: i32, desc: u64, entryStart: u64): void {
  // OA of `start`, when the entry holds one (blocks and pages, valid or not).
  const pa = desc == 0 ? 0 : decodeOA(desc) + (start - entryStart);
  if (openD == d && (desc & mask) == (openDesc & mask) && openEnd == start) {
    if (!exact || desc == 0 || pa == openPa + (start - openStart)) {
      openEnd = next;
      return;
    }
  }
  if (!flush()) {
    full = true; // resume at the open range's start
    return;
  }
  openStart = start;
  openEnd = next;
  openDesc = desc;
  openPa = pa;
  openD = d;
}

/** Walks the entries of [addr, end) in a level-d table. */
function visit(table: usize, d: i32, addr: u64, end: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const desc = load<u64>(entryAt(table, d, addr));
    if (isTable(desc, d)) {
      const slot = childSlot(desc);
      if (isImplicit(slot)) visitImplicit(slot, addr, next);
      else visit(<usize>slot, d - 1, addr, next);
    } else {
      note(addr, next, d, desc, addr & ~(size - 1));
    }
    if (full) return;
    addr = next;
  } while (addr != end);
}

/**
 * visit() for [addr, end) in the implicit PTE table with record `slot`. Its entries differ only in
 * an OA that follows the VA: when the mask ignores the OA, the first entry decides and the others
 * extend its range.
 */
function visitImplicit(slot: u64, addr: u64, end: u64): void {
  const size = entrySize(0);
  if ((mask & oaField()) == 0) {
    note(addr, addr + size, 0, implicitEntry(slot, entryIndex(addr, 0)), addr);
    if (!full) openEnd = end;
    return;
  }
  do {
    note(addr, addr + size, 0, implicitEntry(slot, entryIndex(addr, 0)), addr);
    if (full) return;
    addr += size;
  } while (addr != end);
}

/**
 * Writes up to `max` records for [start, end) (end 0 = 2^64) at `buffer`; returns how many.
 * RANGES_STATE says whether the range is done or where to call again.
 */
export function rangesInto(start: u64, end: u64, coalesceMask: u64, requireExact: u32, buffer: usize, max: u32): u32 {
  mask = coalesceMask;
  exact = requireExact != 0;
  out = buffer;
  outCount = 0;
  outMax = max;
  full = false;
  openD = -1;
  visit(frameAddr(0), TOP, start, end);
  let done: u64 = 0;
  if (!full) {
    if (flush()) done = 1;
    else full = true;
  }
  store<u64>(RANGES_STATE, openStart);
  store<u64>(RANGES_STATE + 8, done);
  return outCount;
}
