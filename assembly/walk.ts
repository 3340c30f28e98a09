// The hardware's stage-1 walk from TTBR1: single (with the path) and batched.
import { PMD_TYPE_TABLE, PTE_TYPE_MASK, TABLE_ATTR_MASK, TABLE_OA, decodeOA } from "./descriptor";
import { fixedLayout, frameAddr, frameCount, frameMap, frameOf, frameSlot, isImplicit, simulatorBytes } from "./frames";
import { childSlot, entryIn, isLeaf, isTable } from "./table";
import { BITS_PER_LEVEL, LEVELS, LPA, LPA2, PAGE_SHIFT, TOP, TOP_ENTRIES, TTBR1_BASE, levelShift } from "./geometry";

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
 * not 0, receives every descriptor read. Each step is table.ts's: the entry (loaded, or computed in
 * an implicit table), then, for a table descriptor, the slot of the table it names. A table
 * descriptor naming a frame the pool never handed out is a fault there.
 */
function translate(va: u64, path: usize): u64 {
  let d = TOP;
  let desc: u64 = 0;
  let pa = FAULT_PA;
  if (va >= TTBR1_BASE) {
    let slot = frameSlot(0);
    const top = <u64>frameCount();
    while (true) {
      desc = entryIn(slot, d, va);
      if (path != 0) store<u64>(path + (<usize>(TOP - d) << 3), desc);
      if (isTable(desc, d)) {
        if (<u64>frameOf(desc) >= top) break; // not a table of this pool: a fault
        slot = childSlot(desc);
        d--;
        continue;
      }
      if (isLeaf(desc, d)) {
        const offsetMask = (<u64>1 << levelShift(d)) - 1;
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

/**
 * Four walks in lockstep, level by level, so that their loads overlap. Returns false, having
 * written nothing, unless all four end in pages at the last level after tables all the way down
 * (the page-granular common case); the caller then walks them one by one. Tables above the last
 * level are always real; a last-level table may be implicit (its entry is computed).
 */
// @ts-ignore: decorator
@inline function walkFour(vas: usize, pas: usize, levels: usize, pgd: usize, map: usize, top: u64, ps: u64, topShift: u64, topMask: u64, bits: u64): bool {
  const va0 = load<u64>(vas), va1 = load<u64>(vas, 8), va2 = load<u64>(vas, 16), va3 = load<u64>(vas, 24);
  const topOA = top << ps;
  if ((va0 < TTBR1_BASE) | (va1 < TTBR1_BASE) | (va2 < TTBR1_BASE) | (va3 < TTBR1_BASE)) return false;
  let t0 = pgd, t1 = pgd, t2 = pgd, t3 = pgd;
  let shift = topShift;
  let mask = topMask;
  let e0: u64 = 0, e1: u64 = 0, e2: u64 = 0, e3: u64 = 0;
  for (let d = TOP; d > 0; d--) {
    e0 = load<u64>(t0 + (<usize>((va0 >> shift) & mask) << 3));
    e1 = load<u64>(t1 + (<usize>((va1 >> shift) & mask) << 3));
    e2 = load<u64>(t2 + (<usize>((va2 >> shift) & mask) << 3));
    e3 = load<u64>(t3 + (<usize>((va3 >> shift) & mask) << 3));
    // All four table descriptors, to frames of this pool?
    if ((e0 & e1 & e2 & e3 & PTE_TYPE_MASK) != PMD_TYPE_TABLE) return false;
    // OA = frame << PAGE_SHIFT: compared with the pool's end, and shifted to the frame's slot. With
    // 16K and 64K pages, bits [PAGE_SHIFT-1:12] may hold table attributes: they leave the comparison
    // right, and the shift by PAGE_SHIFT drops them.
    const o0 = e0 & TABLE_OA, o1 = e1 & TABLE_OA;
    const o2 = e2 & TABLE_OA, o3 = e3 & TABLE_OA;
    if ((o0 >= topOA) | (o1 >= topOA) | (o2 >= topOA) | (o3 >= topOA)) return false;
    shift -= bits;
    mask = (<u64>1 << bits) - 1;
    const s0 = load<u64>(map + (<usize>(o0 >> ps) << 3)), s1 = load<u64>(map + (<usize>(o1 >> ps) << 3));
    const s2 = load<u64>(map + (<usize>(o2 >> ps) << 3)), s3 = load<u64>(map + (<usize>(o3 >> ps) << 3));
    if (d == 1) {
      // The last level: an implicit table's entry is computed, a real one's loaded.
      e0 = lastLevelEntry(s0, (va0 >> shift) & mask, ps, pgd);
      e1 = lastLevelEntry(s1, (va1 >> shift) & mask, ps, pgd);
      e2 = lastLevelEntry(s2, (va2 >> shift) & mask, ps, pgd);
      e3 = lastLevelEntry(s3, (va3 >> shift) & mask, ps, pgd);
      break;
    }
    t0 = <usize>s0;
    t1 = <usize>s1;
    t2 = <usize>s2;
    t3 = <usize>s3;
  }
  if ((e0 & e1 & e2 & e3 & PTE_TYPE_MASK) != PMD_TYPE_TABLE) return false; // all four pages?
  const off = (<u64>1 << shift) - 1;
  store<u64>(pas, decodeOA(e0) | (va0 & off));
  store<u64>(pas, decodeOA(e1) | (va1 & off), 8);
  store<u64>(pas, decodeOA(e2) | (va2 & off), 16);
  store<u64>(pas, decodeOA(e3) | (va3 & off), 24);
  store<u32>(levels, 0x03030303); // hardware level 3 for all four
  return true;
}

/**
 * Entry `index` of the last-level table whose slot is `slot`, without a branch: an implicit table's
 * is computed, a real one's loaded (`safe` is any readable address, loaded from and ignored).
 */
// @ts-ignore: decorator
@inline function lastLevelEntry(slot: u64, index: u64, ps: u64, safe: usize): u64 {
  const implicit = isImplicit(slot);
  const loaded = load<u64>(select<usize>(safe, <usize>slot + (<usize>index << 3), implicit));
  return select<u64>(slot + (index << ps), loaded, implicit);
}

/** VAs a batch walks level by level at a time. */
const LANES: usize = 128;
/**
 * Per lane: the frame-map slot of the table the walk reads next (u64: an address, or at the last
 * level possibly an implicit record), 0 once the lane is done or needs the slow path. (The fixed
 * layout's walkLanesFixed keeps a u32 per lane here: the address of its last-level entry.)
 */
const LANE_SLOT: usize = memory.data(<i32>LANES * 8, 8);

/**
 * The VAs of a batch go down the levels together, LANES at a time, so that the loads
 * of one level are independent of each other and their cache misses overlap (the hardware's own
 * walkers do the same across TLB misses). The common step is a table descriptor; a lane that
 * meets anything else (a block, a fault, a VA outside TTBR1) is walked alone by translate().
 */
function walkBreadthFirst(vas: usize, pas: usize, levels: usize, n: u32, pgd: usize, map: usize, top: u64, ps: u64, topShift: u64, topMask: u64, bits: u64): void {
  const entryMask = (<u64>1 << bits) - 1;
  const topOA = top << ps;
  for (let base: usize = 0; base < <usize>n; base += LANES) {
    const m = min(LANES, <usize>n - base);
    const va = vas + (base << 3);
    const pa = pas + (base << 3);
    const level = levels + base;
    for (let j: usize = 0; j < m; j++) {
      // A lane outside TTBR1 goes to the slow path, which reports the range fault.
      store<u64>(LANE_SLOT + (j << 3), load<u64>(va + (j << 3)) >= TTBR1_BASE ? <u64>pgd : 0);
    }
    let shift = topShift;
    let mask = topMask;
    for (let d = TOP; d > 0; d--) {
      // Two passes, each of independent loads: the entries, then the frame-map slots they name.
      for (let j: usize = 0; j < m; j++) {
        const slot = load<u64>(LANE_SLOT + (j << 3));
        if (slot == 0) continue;
        // Tables above the last level are always real: the slot is an address.
        const desc = load<u64>(<usize>slot + (<usize>((load<u64>(va + (j << 3)) >> shift) & mask) << 3));
        const oa = desc & TABLE_OA; // frame << PAGE_SHIFT (as in walkFour)
        const ok = (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE && oa < topOA;
        store<u64>(LANE_SLOT + (j << 3), select<u64>(<u64>map + ((oa >> ps) << 3), 0, ok));
      }
      for (let j: usize = 0; j < m; j++) {
        const at = load<u64>(LANE_SLOT + (j << 3));
        if (at != 0) store<u64>(LANE_SLOT + (j << 3), load<u64>(<usize>at));
      }
      shift -= bits;
      mask = entryMask;
    }
    // The last level: pages, or the slow path.
    const offsetMask = (<u64>1 << shift) - 1;
    for (let j: usize = 0; j < m; j++) {
      const slot = load<u64>(LANE_SLOT + (j << 3));
      const v = load<u64>(va + (j << 3));
      let desc: u64 = 0;
      if (slot != 0) desc = lastLevelEntry(slot, (v >> shift) & mask, ps, pgd);
      if (slot != 0 && (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE) {
        store<u64>(pa + (j << 3), decodeOA(desc) | (v & offsetMask));
        store<i8>(level + j, 3);
      } else {
        store<u64>(pa + (j << 3), translate(v, 0));
        store<i8>(level + j, <i8>(3 - lastD));
      }
    }
  }
}

/**
 * Table memory (real pages and frame-map slots) beyond which walks miss the caches: then
 * breadth-first overlaps the misses best.
 */
const CACHED_TABLE_BYTES: u64 = 8 << 20;
/**
 * The same for dense tables in the fixed layout, whose lockstep walk is cheaper: measured on a CPU
 * with 32 MiB of L3, lockstep wins up to 16 MiB of tables (8 GiB page-granular), two passes beyond.
 */
const CACHED_DENSE_BYTES: u64 = 16 << 20;
/**
 * How walkBatch walks: 0 by table size, 1 always four in lockstep, 2 always breadth-first (in the
 * fixed layout: the two passes of walkLanesFixed).
 */
export let walkStrategy: u32 = 0;

/**
 * n walks: vas[i] -> pas[i] (FAULT_PA on a fault) and levels[i] (hardware level, i8). Small tables
 * (in cache) go four walks in lockstep; large ones breadth-first, LANES at a time. Dense tables
 * (the fixed layout) have walks of their own, below.
 */
export function walkBatch(vas: usize, pas: usize, levels: usize, n: u32): void {
  if (fixedLayout) {
    walkBatchFixed(vas, pas, levels, n);
    return;
  }
  const pgd = frameAddr(0);
  const map = frameMap;
  const top = <u64>frameCount();
  const ps = <u64>PAGE_SHIFT;
  const topShift = <u64>levelShift(TOP);
  const topMask = TOP_ENTRIES - 1;
  const bits = <u64>BITS_PER_LEVEL;
  if (walkStrategy == 2 || (walkStrategy == 0 && simulatorBytes() > CACHED_TABLE_BYTES)) {
    walkBreadthFirst(vas, pas, levels, n, pgd, map, top, ps, topShift, topMask, bits);
    return;
  }
  let i: usize = 0;
  for (; i + 4 <= <usize>n; i += 4) {
    if (walkFour(vas + (i << 3), pas + (i << 3), levels + i, pgd, map, top, ps, topShift, topMask, bits)) continue;
    for (let j = i; j < i + 4; j++) {
      store<u64>(pas + (j << 3), translate(load<u64>(vas + (j << 3)), 0));
      store<i8>(levels + j, <i8>(3 - lastD));
    }
  }
  for (; i < <usize>n; i++) {
    store<u64>(pas + (i << 3), translate(load<u64>(vas + (i << 3)), 0));
    store<i8>(levels + i, <i8>(3 - lastD));
  }
}

// The fixed layout (dense tables, frames.ts): every table is a page at pgd + OA, so a step is the
// hardware's own: load the entry, check that it is a table of the pool, add its OA to the pool's
// base. No load waits for another but the entry above. The batch walks are instantiated per
// geometry (PS = PAGE_SHIFT, L = LEVELS, OAK = the OA encoding) so that shifts and masks are
// constants and the levels unrolled; anything but a page under tables goes to translate().

/** An entry that is always 0: where a lane that left the fast path reads its last entry. */
const EMPTY_ENTRY: usize = memory.data(8, 8);

/** OA encodings (OAK): 48-bit, LPA2 (4K and 16K pages, 52 bits), FEAT_LPA (64K pages, 52 bits). */
const OA_48: i32 = 0;
const OA_LPA2: i32 = 1;
const OA_LPA: i32 = 2;
/**
 * TABLE_OA without the bits below PAGE_SHIFT (where 16K and 64K table descriptors may carry
 * attributes): frame << PAGE_SHIFT, the table's offset from the PGD.
 */
// @ts-ignore: decorator
@inline function tableOA(PS: u64): u64 {
  return TABLE_OA & ~((<u64>1 << PS) - 1);
}

/** translate() in the fixed layout: the batch walks' slow path (blocks, faults, VAs outside TTBR1). */
function translateFixed(va: u64): u64 {
  return translate(va, 0);
}

/** decodeOA() of a page descriptor, the geometry as constants. */
// @ts-ignore: decorator
@inline function pageOA(desc: u64, PS: u64, OAK: i32): u64 {
  if (OAK == OA_LPA2) return (desc & (((<u64>1 << 50) - 1) & ~((<u64>1 << PS) - 1))) | (((desc >> 8) & 3) << 50);
  const inPlace: u64 = ((<u64>1 << 48) - 1) & ~((<u64>1 << PS) - 1);
  if (OAK == OA_LPA) return (desc & inPlace) | (((desc >> 12) & 0xf) << 48);
  return desc & inPlace;
}

/** Byte offset of va's entry in a table at level d below the top (PS - 3 index bits). */
// @ts-ignore: decorator
@inline function entryOffset(va: u64, d: i32, PS: u64): usize {
  const B: u64 = PS - 3;
  return <usize>((va >> (PS + <u64>d * B - 3)) & (((<u64>1 << B) - 1) << 3));
}

/** Whether `desc` is a table descriptor naming a frame of the pool (OA below topOA). */
// @ts-ignore: decorator
@inline function poolTable(desc: u64, topOA: u64, PS: u64): bool {
  return (desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE && (desc & tableOA(PS)) < topOA;
}

/**
 * poolTable() of four descriptors, with two tests: the type bits ANDed, and the signs of OA - topOA
 * (OAs are below 2^48: negative exactly when below topOA) ANDed.
 */
// @ts-ignore: decorator
@inline function fourPoolTables(e0: u64, e1: u64, e2: u64, e3: u64, topOA: u64, PS: u64): bool {
  if ((e0 & e1 & e2 & e3 & PTE_TYPE_MASK) != PMD_TYPE_TABLE) return false;
  const m = tableOA(PS);
  const signs = ((e0 & m) - topOA) & ((e1 & m) - topOA) & ((e2 & m) - topOA) & ((e3 & m) - topOA);
  return <i64>signs < 0;
}

/** The level-d entry for va in the table that the table descriptor `desc` points to. */
// @ts-ignore: decorator
@inline function below(desc: u64, va: u64, d: i32, pgd: usize, PS: u64): u64 {
  return load<u64>(pgd + <usize>(desc & tableOA(PS)) + entryOffset(va, d, PS));
}

/**
 * The address of va's last-level entry, or `none` if the walk meets anything but tables of the pool
 * on the way there. `topBytes` masks the byte offset in the top table (TOP_ENTRIES entries).
 */
// @ts-ignore: decorator
@inline function leafEntryAt(va: u64, pgd: usize, topOA: u64, topBytes: u64, none: usize, PS: u64, L: i32): usize {
  if (va < TTBR1_BASE) return none;
  let e = load<u64>(pgd + <usize>((va >> (PS + <u64>(L - 1) * (PS - 3) - 3)) & topBytes));
  // The levels below the top, unrolled (L is a constant: the levels a geometry lacks fold away).
  if (L >= 5) {
    if (!poolTable(e, topOA, PS)) return none;
    e = below(e, va, 3, pgd, PS);
  }
  if (L >= 4) {
    if (!poolTable(e, topOA, PS)) return none;
    e = below(e, va, 2, pgd, PS);
  }
  if (L >= 3) {
    if (!poolTable(e, topOA, PS)) return none;
    e = below(e, va, 1, pgd, PS);
  }
  if (!poolTable(e, topOA, PS)) return none;
  return pgd + <usize>(e & tableOA(PS)) + entryOffset(va, 0, PS);
}

/**
 * Four walks in lockstep, levels unrolled: false, having written nothing, unless all four end in
 * pages under tables of the pool; the caller then walks them one by one.
 */
// @ts-ignore: decorator
@inline function walkFourFixed(vas: usize, pas: usize, levels: usize, pgd: usize, topOA: u64, topBytes: u64, PS: u64, L: i32, OAK: i32): bool {
  const va0 = load<u64>(vas), va1 = load<u64>(vas, 8), va2 = load<u64>(vas, 16), va3 = load<u64>(vas, 24);
  if ((va0 < TTBR1_BASE) | (va1 < TTBR1_BASE) | (va2 < TTBR1_BASE) | (va3 < TTBR1_BASE)) return false;
  const topShift: u64 = PS + <u64>(L - 1) * (PS - 3) - 3;
  let e0 = load<u64>(pgd + <usize>((va0 >> topShift) & topBytes));
  let e1 = load<u64>(pgd + <usize>((va1 >> topShift) & topBytes));
  let e2 = load<u64>(pgd + <usize>((va2 >> topShift) & topBytes));
  let e3 = load<u64>(pgd + <usize>((va3 >> topShift) & topBytes));
  // The levels below the top, unrolled (L is a constant: the levels a geometry lacks fold away).
  if (L >= 5) {
    if (!fourPoolTables(e0, e1, e2, e3, topOA, PS)) return false;
    e0 = below(e0, va0, 3, pgd, PS);
    e1 = below(e1, va1, 3, pgd, PS);
    e2 = below(e2, va2, 3, pgd, PS);
    e3 = below(e3, va3, 3, pgd, PS);
  }
  if (L >= 4) {
    if (!fourPoolTables(e0, e1, e2, e3, topOA, PS)) return false;
    e0 = below(e0, va0, 2, pgd, PS);
    e1 = below(e1, va1, 2, pgd, PS);
    e2 = below(e2, va2, 2, pgd, PS);
    e3 = below(e3, va3, 2, pgd, PS);
  }
  if (L >= 3) {
    if (!fourPoolTables(e0, e1, e2, e3, topOA, PS)) return false;
    e0 = below(e0, va0, 1, pgd, PS);
    e1 = below(e1, va1, 1, pgd, PS);
    e2 = below(e2, va2, 1, pgd, PS);
    e3 = below(e3, va3, 1, pgd, PS);
  }
  if (!fourPoolTables(e0, e1, e2, e3, topOA, PS)) return false;
  e0 = below(e0, va0, 0, pgd, PS);
  e1 = below(e1, va1, 0, pgd, PS);
  e2 = below(e2, va2, 0, pgd, PS);
  e3 = below(e3, va3, 0, pgd, PS);
  if ((e0 & e1 & e2 & e3 & PTE_TYPE_MASK) != PMD_TYPE_TABLE) return false; // four pages?
  const off: u64 = (<u64>1 << PS) - 1;
  store<u64>(pas, pageOA(e0, PS, OAK) | (va0 & off));
  store<u64>(pas, pageOA(e1, PS, OAK) | (va1 & off), 8);
  store<u64>(pas, pageOA(e2, PS, OAK) | (va2 & off), 16);
  store<u64>(pas, pageOA(e3, PS, OAK) | (va3 & off), 24);
  store<u32>(levels, 0x03030303); // hardware level 3 for all four
  return true;
}

/**
 * LANES walks at a time in two passes: the first takes each lane down to its last-level entry
 * (upper tables are few and cached: short chains, which the CPU overlaps across lanes) and keeps
 * that entry's address; the second loads the entries, independent loads whose cache misses overlap,
 * in a loop kept short so that many are in flight.
 */
// @ts-ignore: decorator
@inline function walkLanesFixed(vas: usize, pas: usize, levels: usize, n: u32, pgd: usize, top: u64, topBytes: u64, PS: u64, L: i32, OAK: i32): void {
  const topOA = top << PS;
  const off: u64 = (<u64>1 << PS) - 1;
  for (let base: usize = 0; base < <usize>n; base += LANES) {
    const m = min(LANES, <usize>n - base);
    const va = vas + (base << 3);
    const pa = pas + (base << 3);
    const level = levels + base;
    for (let j: usize = 0; j < m; j++) {
      // A lane that meets anything but tables reads the empty entry, and so takes the slow path.
      store<u32>(LANE_SLOT + (j << 2), <u32>leafEntryAt(load<u64>(va + (j << 3)), pgd, topOA, topBytes, EMPTY_ENTRY, PS, L));
    }
    memory.fill(level, 3, m); // hardware level 3: a page
    for (let j: usize = 0; j < m; j++) {
      const desc = load<u64>(<usize>load<u32>(LANE_SLOT + (j << 2)));
      const v = load<u64>(va + (j << 3));
      if ((desc & PTE_TYPE_MASK) == PMD_TYPE_TABLE) {
        store<u64>(pa + (j << 3), pageOA(desc, PS, OAK) | (v & off));
      } else {
        store<u64>(pa + (j << 3), translateFixed(v));
        store<i8>(level + j, <i8>(3 - lastD));
      }
    }
  }
}

/** walkBatch() in the fixed layout for one geometry; `lanes` for tables beyond the caches. */
// @ts-ignore: decorator
@inline function walkBatchGeometry(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool, PS: u64, L: i32, OAK: i32): void {
  const pgd = frameAddr(0);
  const top = <u64>frameCount();
  const topBytes = (TOP_ENTRIES - 1) << 3;
  if (lanes) {
    walkLanesFixed(vas, pas, levels, n, pgd, top, topBytes, PS, L, OAK);
    return;
  }
  const topOA = top << PS;
  let i: usize = 0;
  for (; i + 4 <= <usize>n; i += 4) {
    if (walkFourFixed(vas + (i << 3), pas + (i << 3), levels + i, pgd, topOA, topBytes, PS, L, OAK)) continue;
    for (let j = i; j < i + 4; j++) {
      store<u64>(pas + (j << 3), translateFixed(load<u64>(vas + (j << 3))));
      store<i8>(levels + j, <i8>(3 - lastD));
    }
  }
  for (; i < <usize>n; i++) {
    store<u64>(pas + (i << 3), translateFixed(load<u64>(vas + (i << 3))));
    store<i8>(levels + i, <i8>(3 - lastD));
  }
}

// One instance per geometry the engine accepts (configureGeometry: 4K, 16K, 64K pages, 36 to 52
// VA bits; a 52-bit PA, and with it LPA2 or FEAT_LPA, only with 52 VA bits).
function walkFixed12L3(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 12, 3, OA_48); }
function walkFixed12L4(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 12, 4, OA_48); }
function walkFixed12L5(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 12, 5, OA_48); }
function walkFixed12L5Lpa2(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 12, 5, OA_LPA2); }
function walkFixed14L2(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 14, 2, OA_48); }
function walkFixed14L3(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 14, 3, OA_48); }
function walkFixed14L4(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 14, 4, OA_48); }
function walkFixed14L4Lpa2(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 14, 4, OA_LPA2); }
function walkFixed16L2(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 16, 2, OA_48); }
function walkFixed16L3(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 16, 3, OA_48); }
function walkFixed16L3Lpa(vas: usize, pas: usize, levels: usize, n: u32, lanes: bool): void { walkBatchGeometry(vas, pas, levels, n, lanes, 16, 3, OA_LPA); }

/** walkBatch() in the fixed layout: the instance for the geometry. */
function walkBatchFixed(vas: usize, pas: usize, levels: usize, n: u32): void {
  const lanes = walkStrategy == 2 || (walkStrategy == 0 && simulatorBytes() > CACHED_DENSE_BYTES);
  if (PAGE_SHIFT == 12) {
    if (LEVELS == 3) walkFixed12L3(vas, pas, levels, n, lanes);
    else if (LEVELS == 4) walkFixed12L4(vas, pas, levels, n, lanes);
    else if (LPA2) walkFixed12L5Lpa2(vas, pas, levels, n, lanes);
    else walkFixed12L5(vas, pas, levels, n, lanes);
  } else if (PAGE_SHIFT == 14) {
    if (LEVELS == 2) walkFixed14L2(vas, pas, levels, n, lanes);
    else if (LEVELS == 3) walkFixed14L3(vas, pas, levels, n, lanes);
    else if (LPA2) walkFixed14L4Lpa2(vas, pas, levels, n, lanes);
    else walkFixed14L4(vas, pas, levels, n, lanes);
  } else {
    if (LEVELS == 2) walkFixed16L2(vas, pas, levels, n, lanes);
    else if (LPA) walkFixed16L3Lpa(vas, pas, levels, n, lanes);
    else walkFixed16L3(vas, pas, levels, n, lanes);
  }
}
