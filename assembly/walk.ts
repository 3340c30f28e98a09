// The hardware's stage-1 walk from TTBR1: single (with the path) and batched.
import { PMD_TYPE_TABLE, PTE_TYPE_MASK, TABLE_ATTR_MASK, decodeOA } from "./descriptor";
import { frameAddr, frameCount } from "./frames";
import { BITS_PER_LEVEL, TOP, TOP_ENTRIES, TTBR1_BASE, hwBlockLevel, levelShift } from "./geometry";

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

/** Highest byte address of a table frame, plus one: table descriptors must point below it. */
// @ts-ignore: decorator
@inline function poolEnd(): usize {
  return frameAddr(frameCount());
}

/**
 * Walks va; returns its PA, or FAULT_PA with lastD/lastDesc at the faulting entry. `path`, when
 * not 0, receives every descriptor read. The geometry arrives in arguments so that a batch loads
 * it once: the common step (a table descriptor) is then a load, a test and a few shifts.
 */
// @ts-ignore: decorator
@inline function translate(va: u64, path: usize, pgd: usize, end: usize, topShift: u64, topMask: u64, bits: u64): u64 {
  let d = TOP;
  let desc: u64 = 0;
  let pa = FAULT_PA;
  if (va >= TTBR1_BASE) {
    let table = pgd;
    let shift = topShift;
    let indexMask = topMask;
    while (true) {
      desc = load<u64>(table + (<usize>((va >> shift) & indexMask) << 3));
      if (path != 0) store<u64>(path + (<usize>(TOP - d) << 3), desc);
      const type = desc & PTE_TYPE_MASK;
      if (type == PMD_TYPE_TABLE) {
        if (d == 0) {
          pa = decodeOA(desc) | (va & ((<u64>1 << shift) - 1)); // a page
          break;
        }
        // A table descriptor's OA is its frame's offset in the pool (frames.ts).
        const next = pgd + <usize>(desc & 0x0000fffffffff000);
        if (next >= end) break; // not a table of this pool: a fault
        table = next;
        d--;
        shift -= bits;
        indexMask = (<u64>1 << bits) - 1;
        continue;
      }
      // 0b01 is a block where the architecture allows one; anything else faults here.
      if (type == 1 && d > 0 && hwBlockLevel(d)) {
        const offsetMask = (<u64>1 << shift) - 1;
        pa = (decodeOA(desc) & ~offsetMask) | (va & offsetMask);
      }
      break;
    }
  }
  lastD = d;
  lastDesc = desc;
  return pa;
}

/** One walk: fills RESULT. Returns the fault kind. */
export function walkOne(va: u64): u64 {
  const path = RESULT + 6 * 8;
  memory.fill(path, 0, 5 * 8);
  const pa = translate(va, path, frameAddr(0), poolEnd(), <u64>levelShift(TOP), TOP_ENTRIES - 1, <u64>BITS_PER_LEVEL);
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

/**
 * Four walks in lockstep, level by level, so that their loads overlap. Returns false, having
 * written nothing, unless all four end in pages at the last level after tables all the way down
 * (the page-granular common case); the caller then walks them one by one.
 */
// @ts-ignore: decorator
@inline function walkFour(vas: usize, pas: usize, levels: usize, pgd: usize, end: usize, topShift: u64, topMask: u64, bits: u64): bool {
  const va0 = load<u64>(vas), va1 = load<u64>(vas, 8), va2 = load<u64>(vas, 16), va3 = load<u64>(vas, 24);
  if ((va0 < TTBR1_BASE) | (va1 < TTBR1_BASE) | (va2 < TTBR1_BASE) | (va3 < TTBR1_BASE)) return false;
  let t0 = pgd, t1 = pgd, t2 = pgd, t3 = pgd;
  let shift = topShift;
  let mask = topMask;
  let e0: u64 = 0, e1: u64 = 0, e2: u64 = 0, e3: u64 = 0;
  for (let d = TOP; ; d--) {
    e0 = load<u64>(t0 + (<usize>((va0 >> shift) & mask) << 3));
    e1 = load<u64>(t1 + (<usize>((va1 >> shift) & mask) << 3));
    e2 = load<u64>(t2 + (<usize>((va2 >> shift) & mask) << 3));
    e3 = load<u64>(t3 + (<usize>((va3 >> shift) & mask) << 3));
    // All four table (or, at the last level, page) descriptors?
    if ((e0 & e1 & e2 & e3 & PTE_TYPE_MASK) != PMD_TYPE_TABLE) return false;
    if (d == 0) break;
    t0 = pgd + <usize>(e0 & 0x0000fffffffff000);
    t1 = pgd + <usize>(e1 & 0x0000fffffffff000);
    t2 = pgd + <usize>(e2 & 0x0000fffffffff000);
    t3 = pgd + <usize>(e3 & 0x0000fffffffff000);
    if ((t0 >= end) | (t1 >= end) | (t2 >= end) | (t3 >= end)) return false;
    shift -= bits;
    mask = (<u64>1 << bits) - 1;
  }
  const off = (<u64>1 << shift) - 1;
  store<u64>(pas, decodeOA(e0) | (va0 & off));
  store<u64>(pas, decodeOA(e1) | (va1 & off), 8);
  store<u64>(pas, decodeOA(e2) | (va2 & off), 16);
  store<u64>(pas, decodeOA(e3) | (va3 & off), 24);
  store<u32>(levels, 0x03030303); // hardware level 3 for all four
  return true;
}

/** VAs a batch walks level by level at a time. */
const LANES: usize = 128;
/** Per lane: the table the walk reads next (u32), 0 once the lane is done or needs the slow path. */
const LANE_TABLE: usize = memory.data(<i32>LANES * 4, 8);

/**
 * The VAs of a batch go down the levels together, LANES at a time, so that the loads
 * of one level are independent of each other and their cache misses overlap (the hardware's own
 * walkers do the same across TLB misses). The common step is a table descriptor; a lane that
 * meets anything else (a block, a fault, a VA outside TTBR1) is walked alone by translate().
 */
function walkBreadthFirst(vas: usize, pas: usize, levels: usize, n: u32, pgd: usize, end: usize, topShift: u64, topMask: u64, bits: u64): void {
  const entryMask = (<u64>1 << bits) - 1;
  for (let base: usize = 0; base < <usize>n; base += LANES) {
    const m = min(LANES, <usize>n - base);
    const va = vas + (base << 3);
    const pa = pas + (base << 3);
    const level = levels + base;
    for (let j: usize = 0; j < m; j++) {
      // A lane outside TTBR1 goes to the slow path, which reports the range fault.
      store<u32>(LANE_TABLE + (j << 2), load<u64>(va + (j << 3)) >= TTBR1_BASE ? <u32>pgd : 0);
    }
    let shift = topShift;
    let mask = topMask;
    for (let d = TOP; d > 0; d--) {
      for (let j: usize = 0; j < m; j++) {
        const table = <usize>load<u32>(LANE_TABLE + (j << 2));
        if (table == 0) continue;
        const desc = load<u64>(table + (<usize>((load<u64>(va + (j << 3)) >> shift) & mask) << 3));
        const next = pgd + <usize>(desc & 0x0000fffffffff000); // a table's OA is its pool offset
        const ok = (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE && next < end;
        store<u32>(LANE_TABLE + (j << 2), ok ? <u32>next : 0);
      }
      shift -= bits;
      mask = entryMask;
    }
    // The last level: pages, or the slow path.
    const offsetMask = (<u64>1 << shift) - 1;
    for (let j: usize = 0; j < m; j++) {
      const table = <usize>load<u32>(LANE_TABLE + (j << 2));
      const v = load<u64>(va + (j << 3));
      let desc: u64 = 0;
      if (table != 0) desc = load<u64>(table + (<usize>((v >> shift) & mask) << 3));
      if (table != 0 && (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE) {
        store<u64>(pa + (j << 3), decodeOA(desc) | (v & offsetMask));
        store<i8>(level + j, 3);
      } else {
        store<u64>(pa + (j << 3), translate(v, 0, pgd, end, topShift, topMask, bits));
        store<i8>(level + j, <i8>(3 - lastD));
      }
    }
  }
}

/** Table memory beyond which walks miss the caches: then breadth-first overlaps the misses best. */
const CACHED_TABLE_BYTES: usize = 8 << 20;
/** How walkBatch walks: 0 by table size, 1 always four in lockstep, 2 always breadth-first. */
export let walkStrategy: u32 = 0;

/**
 * n walks: vas[i] -> pas[i] (FAULT_PA on a fault) and levels[i] (hardware level, i8). Small tables
 * (in cache) go four walks in lockstep; large ones breadth-first, LANES at a time.
 */
export function walkBatch(vas: usize, pas: usize, levels: usize, n: u32): void {
  const pgd = frameAddr(0);
  const end = poolEnd();
  const topShift = <u64>levelShift(TOP);
  const topMask = TOP_ENTRIES - 1;
  const bits = <u64>BITS_PER_LEVEL;
  if (walkStrategy == 2 || (walkStrategy == 0 && end - pgd > CACHED_TABLE_BYTES)) {
    walkBreadthFirst(vas, pas, levels, n, pgd, end, topShift, topMask, bits);
    return;
  }
  let i: usize = 0;
  for (; i + 4 <= <usize>n; i += 4) {
    if (walkFour(vas + (i << 3), pas + (i << 3), levels + i, pgd, end, topShift, topMask, bits)) continue;
    for (let j = i; j < i + 4; j++) {
      store<u64>(pas + (j << 3), translate(load<u64>(vas + (j << 3)), 0, pgd, end, topShift, topMask, bits));
      store<i8>(levels + j, <i8>(3 - lastD));
    }
  }
  for (; i < <usize>n; i++) {
    store<u64>(pas + (i << 3), translate(load<u64>(vas + (i << 3)), 0, pgd, end, topShift, topMask, bits));
    store<i8>(levels + i, <i8>(3 - lastD));
  }
}
