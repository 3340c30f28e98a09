// The run-time model: a TLB hierarchy (up to three levels, L1 first) and a walk cache in front of
// the engine's own tables. An access looks up each level in turn; the first hit fills the levels
// before it; a miss everywhere walks the simulated tables (table.ts), so a translation's size is
// its real descriptor's: a page, a CONT run of pages, a block, a CONT run of blocks. Each level holds
// only the sizes it is configured for: a larger translation is held at the largest of them that fits
// (the L2 TLB "breaking down" blocks for the L1, as the Arm TRMs put it). The walk cache holds
// table descriptors by level; a hit at level d means the walk reads only the levels below it. A walk
// cache may be its own cache or share an L2 TLB's sets (Neoverse N1 keeps walk entries in its L2 TLB).
// Data side only; no prefetch, no speculation, one access at a time (docs/tlb-model.md).
import { PTE_CONT } from "./descriptor";
import { frameCount, frameOf, frameSlot } from "./frames";
import { CONT_PMDS, CONT_PTES, TOP, TTBR1_BASE, levelShift } from "./geometry";
import { WALK_CLASS, configureCache, fill, heldLevels, heldShifts, lookup, setOf, translationKey, walkKey } from "./tlb-cache";
import { childSlot, entryIn, isLeaf, isTable } from "./table";

/**
 * Configuration the host writes before tlbConfigure(), u64 each: [0] TLB levels (1-3), [1] walk
 * cache (0 none, 1 its own cache, 2 shared with the last TLB level), [2] walk-cache levels held
 * (bit d), [3] seed; then per TLB level and for the walk cache (4 slots of 4): sets, ways, policy,
 * sizes held (bit s: translations of 2^s bytes).
 */
export const TLB_CONFIG: usize = memory.data(20 * 8, 8);
/**
 * Counters, u64 each: [0] accesses, [1] walks, [2] memory references by walks, [3] faults, [4]
 * walk-cache lookups, [5] walk-cache hits; per TLB level i: [8 + 2i] lookups, [9 + 2i] misses.
 */
export const TLB_STATS: usize = memory.data(16 * 8, 8);

let levels: i32 = 0;
/** The cache the walk cache is (-1: none). */
let walkCache: i32 = -1;
let walkLevels: u64 = 0;
/** Sizes held by each TLB level (bit s). */
const SIZES: usize = memory.data(3 * 8, 8);

// The counters, kept in globals while a batch runs and published to TLB_STATS after it. A level's
// lookups are the accesses (L1) or the misses of the level before it.
let accesses: u64 = 0;
let walks: u64 = 0;
let walkRefs: u64 = 0;
let faults: u64 = 0;
let walkCacheLookups: u64 = 0;
let walkCacheHits: u64 = 0;
let misses0: u64 = 0;
let misses1: u64 = 0;
let misses2: u64 = 0;

/** Writes the counters where the host reads them. */
function publish(): void {
  store<u64>(TLB_STATS, accesses);
  store<u64>(TLB_STATS, walks, 8);
  store<u64>(TLB_STATS, walkRefs, 16);
  store<u64>(TLB_STATS, faults, 24);
  store<u64>(TLB_STATS, walkCacheLookups, 32);
  store<u64>(TLB_STATS, walkCacheHits, 40);
  let lookups = accesses;
  for (let i = 0; i < levels; i++) {
    const m = i == 0 ? misses0 : i == 1 ? misses1 : misses2;
    store<u64>(TLB_STATS + 64 + (<usize>i << 4), lookups);
    store<u64>(TLB_STATS + 72 + (<usize>i << 4), m);
    lookups = m;
  }
}

/** Applies TLB_CONFIG and empties every cache. Returns 0, or -1 for a configuration it cannot hold. */
export function tlbConfigure(): i32 {
  const n = <i32>load<u64>(TLB_CONFIG);
  const wc = <i32>load<u64>(TLB_CONFIG, 8);
  if (n < 1 || n > 3 || wc < 0 || wc > 2) return -1;
  const seed = load<u64>(TLB_CONFIG, 24);
  for (let i = 0; i < n; i++) {
    const p = TLB_CONFIG + 32 + (<usize>i << 5);
    const sizes = load<u64>(p, 24);
    if (sizes == 0) return -1;
    store<u64>(SIZES + (<usize>i << 3), sizes);
    // Each cache's random replacement draws from its own stream: seed + its index.
    if (!configureCache(i, <u32>load<u64>(p), <u32>load<u64>(p, 8), <u32>load<u64>(p, 16), seed + <u64>i)) return -1;
  }
  levels = n;
  walkLevels = load<u64>(TLB_CONFIG, 16);
  walkCache = wc == 0 ? -1 : wc == 2 ? n - 1 : 3;
  if (wc == 1) {
    const p = TLB_CONFIG + 32 + (3 << 5);
    if (!configureCache(3, <u32>load<u64>(p), <u32>load<u64>(p, 8), <u32>load<u64>(p, 16), seed + 3)) return -1;
  }
  accesses = walks = walkRefs = faults = walkCacheLookups = walkCacheHits = misses0 = misses1 = misses2 = 0;
  memory.fill(TLB_STATS, 0, 16 * 8);
  return 0;
}

/**
 * The largest shift in `sizes` not above `shift` (a level holds a larger translation at that size),
 * or 0 if the level holds nothing that small.
 */
// @ts-ignore: decorator
@inline function heldAt(shift: u64, sizes: u64): u64 {
  const fit = sizes & (shift >= 63 ? <u64>-1 : (<u64>2 << shift) - 1);
  return fit == 0 ? 0 : 63 - clz(fit);
}

/** Looks va up in TLB level i; returns the shift of the entry that hit, or 0 on a miss. */
// @ts-ignore: decorator
@inline function lookupLevel(i: i32, va: u64): u64 {
  let shifts = heldShifts(i);
  while (shifts != 0) {
    const s = ctz(shifts);
    if (lookup(i, translationKey(va, s), setOf(i, va, s)) >= 0) return s;
    shifts &= shifts - 1;
  }
  return 0;
}

/** Fills TLB levels last-1 .. 0 with a translation of 2^shift bytes at va. */
// @ts-ignore: decorator
@inline function fillLevels(last: i32, va: u64, shift: u64): void {
  for (let i = last - 1; i >= 0; i--) {
    const s = heldAt(shift, load<u64>(SIZES + (<usize>i << 3)));
    if (s == 0) continue; // smaller than every size the level holds: not cached there
    fill(i, translationKey(va, s), setOf(i, va, s));
  }
}

/** Walks a batch ahead of the simulation: at most LANES VAs at a time, level by level. */
const LANES: usize = 128;
/** Per lane: the slot of the table the walk reads next (u64), 0 once the walk has ended. */
const LANE_SLOT: usize = memory.data(<i32>LANES * 8, 8);
/** Per lane: where the walk ended (u32: the level d, plus FAULT_BIT on a fault) and the translation's shift (u32). */
const LANE_END: usize = memory.data(<i32>LANES * 8, 8);
const FAULT_BIT: u32 = 0x100;

/**
 * The hardware walks of vas[0..m) over the simulated tables, level by level across the lanes so
 * that their loads (independent of one another) overlap; a walk's outcome does not depend on the
 * TLBs, so it can be known before the access is simulated. Fills LANE_END: the level the walk
 * ended at, and the translation's size (CONT included), or FAULT_BIT.
 */
function walkLanes(vas: usize, m: usize): void {
  const pgd = frameSlot(0);
  const top = <u64>frameCount();
  for (let j: usize = 0; j < m; j++) {
    const inside = load<u64>(vas + (j << 3)) >= TTBR1_BASE;
    store<u64>(LANE_SLOT + (j << 3), inside ? pgd : 0);
    store<u32>(LANE_END + (j << 3), <u32>TOP | FAULT_BIT);
  }
  for (let d = TOP; d >= 0; d--) {
    for (let j: usize = 0; j < m; j++) {
      const slot = load<u64>(LANE_SLOT + (j << 3));
      if (slot == 0) continue;
      const va = load<u64>(vas + (j << 3));
      const desc = entryIn(slot, d, va);
      if (isTable(desc, d) && <u64>frameOf(desc) < top) { // a table of this pool (as translate())
        store<u64>(LANE_SLOT + (j << 3), childSlot(desc));
        continue;
      }
      store<u64>(LANE_SLOT + (j << 3), 0);
      const leaf = isLeaf(desc, d);
      let shift = <u32>levelShift(d);
      if (leaf && (desc & PTE_CONT) != 0 && d <= 1) shift += <u32>ctz(d == 0 ? CONT_PTES : CONT_PMDS);
      store<u32>(LANE_END + (j << 3), leaf ? <u32>d : <u32>d | FAULT_BIT);
      store<u32>(LANE_END + (j << 3), shift, 4);
    }
  }
}

/** One access: TLB levels in turn, then the walk cache and the walk (done ahead, in lane j). */
// @ts-ignore: decorator
@inline function access(va: u64, j: usize): void {
  for (let i = 0; i < levels; i++) {
    const s = lookupLevel(i, va);
    if (s != 0) {
      fillLevels(i, va, s);
      return;
    }
    if (i == 0) misses0++;
    else if (i == 1) misses1++;
    else misses2++;
  }
  if (va < TTBR1_BASE) {
    faults++; // outside TTBR1: a fault before any walk
    return;
  }
  const end = load<u32>(LANE_END + (j << 3));
  const leafD = <i32>(end & 0xff);
  const ok = (end & FAULT_BIT) == 0;
  // The deepest walk-cache entry for va (a table descriptor at level h) saves reading levels >= h.
  let start = TOP;
  if (walkCache >= 0) {
    walkCacheLookups++;
    let held = heldLevels(walkCache) & walkLevels;
    while (held != 0) {
      const h = <i32>ctz(held);
      const s = <u64>levelShift(h);
      if (lookup(walkCache, walkKey(va, s, h), setOf(walkCache, va, s)) >= 0) {
        walkCacheHits++;
        start = h - 1;
        break;
      }
      held &= held - 1;
    }
  }
  // An entry above the leaf can only be there if the tables changed under a configured TLB.
  if (start < leafD) start = leafD;
  walks++;
  const refs = <u64>(start - leafD + 1);
  walkRefs += refs;
  // The table descriptors this walk read go into the walk cache, top first.
  if (walkCache >= 0) {
    for (let d = start; d > leafD; d--) {
      if (((walkLevels >> <u64>d) & 1) == 0) continue;
      const s = <u64>levelShift(d);
      fill(walkCache, walkKey(va, s, d), setOf(walkCache, va, s));
    }
  }
  if (!ok) {
    faults++;
    return;
  }
  fillLevels(levels, va, <u64>load<u32>(LANE_END + (j << 3), 4));
}

/** Simulates the n VAs at `vas` (u64 each), in order. */
export function tlbRun(vas: usize, n: u32): void {
  for (let base: usize = 0; base < <usize>n; base += LANES) {
    const m = min(LANES, <usize>n - base);
    const at = vas + (base << 3);
    walkLanes(at, m);
    for (let j: usize = 0; j < m; j++) access(load<u64>(at + (j << 3)), j);
  }
  accesses += <u64>n;
  publish();
}

export { WALK_CLASS };
