// The hardware's stage-1 walk from TTBR1: single (with the path) and batched.
import { PTE_TABLE_BIT, TABLE_ATTR_MASK, decodeOA } from "./descriptor";
import { frameAddr, frameOf, frameValid } from "./frames";
import { TOP, TTBR1_BASE, entryIndex, hwBlockLevel, levelShift } from "./geometry";

/** Fault kinds. */
export const FAULT_NONE: u64 = 0;
export const FAULT_TRANSLATION: u64 = 1;
export const FAULT_RANGE: u64 = 2;
/** PA that walkMany writes for a VA that faults. */
export const FAULT_PA: u64 = 0xffffffffffffffff;

/** Result of walkOne, u64 each: pa, descriptor, table attrs, hw level, fault, path length, path[5]. */
export const RESULT: usize = memory.data(11 * 8, 8);

// The level and descriptor where the last walk stopped.
let lastDesc: u64 = 0;
let lastD: i32 = 0;

/**
 * Walks va; returns its PA, or FAULT_PA with lastD/lastDesc at the faulting entry. `path`, when
 * not 0, receives every descriptor read and `tableAttrsOut` the table attributes met.
 */
// @ts-ignore: decorator
@inline function translate(va: u64, path: usize): u64 {
  lastD = TOP;
  lastDesc = 0;
  if (va < TTBR1_BASE) return FAULT_PA;
  let table = frameAddr(0);
  for (let d = TOP; d >= 0; d--) {
    const desc = load<u64>(table + (<usize>entryIndex(va, d) << 3));
    if (path != 0) store<u64>(path + (<usize>(TOP - d) << 3), desc);
    lastD = d;
    lastDesc = desc;
    if ((desc & 1) == 0) return FAULT_PA; // invalid: translation fault at this level
    const offsetMask = (<u64>1 << levelShift(d)) - 1;
    if (d == 0) {
      if ((desc & PTE_TABLE_BIT) == 0) return FAULT_PA; // 0b01 at the last level is reserved
      return decodeOA(desc) | (va & offsetMask);
    }
    if ((desc & PTE_TABLE_BIT) == 0) {
      if (!hwBlockLevel(d)) return FAULT_PA; // a block where the architecture allows none
      return (decodeOA(desc) & ~offsetMask) | (va & offsetMask);
    }
    const frame = frameOf(desc);
    if (!frameValid(frame)) return FAULT_PA; // not a table of this pool: treat as a fault
    table = frameAddr(frame);
  }
  return FAULT_PA; // not reached
}

/** One walk: fills RESULT. Returns the fault kind. */
export function walkOne(va: u64): u64 {
  const path = RESULT + 6 * 8;
  memory.fill(path, 0, 5 * 8);
  const pa = translate(va, path);
  let fault = FAULT_NONE;
  if (pa == FAULT_PA) fault = va < TTBR1_BASE ? FAULT_RANGE : FAULT_TRANSLATION;
  let attrs: u64 = 0;
  const read = va < TTBR1_BASE ? 0 : TOP - lastD + 1;
  // The table descriptors are every entry read but the last.
  for (let i = 0; i < read - 1; i++) attrs |= load<u64>(path + (<usize>i << 3)) & TABLE_ATTR_MASK;
  store<u64>(RESULT, pa);
  store<u64>(RESULT + 8, lastDesc);
  store<u64>(RESULT + 16, attrs);
  store<i64>(RESULT + 24, <i64>(3 - lastD));
  store<u64>(RESULT + 32, fault);
  store<u64>(RESULT + 40, <u64>read);
  return fault;
}

/** n walks: vas[i] -> pas[i] (FAULT_PA on a fault) and levels[i] (hardware level, i8). */
export function walkBatch(vas: usize, pas: usize, levels: usize, n: u32): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<u64>(pas + (i << 3), translate(load<u64>(vas + (i << 3)), 0));
    store<i8>(levels + i, <i8>(3 - lastD));
  }
}

