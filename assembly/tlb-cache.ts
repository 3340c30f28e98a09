// One set-associative cache of translations: a TLB level, or a walk cache. It holds keys only (the
// simulated tables answer every walk, so no data is needed): a translation's key is its VA aligned
// to the size it is held at, with that size; a walk-cache key is the VA aligned to one table entry's
// span, with the level. Entries of each size index their own set, (va >> shift) & (sets - 1), as a
// TLB that probes once per page size does. Up to MAX_CACHES caches, in static memory.
//
// Lookup scans the set's keys, or, in sets wider than SCAN_WAYS (fully associative L1 TLBs), their
// 16-bit fingerprints eight at a time (SIMD), confirming a match on the key. Replacement is per set: LRU (a linked list in
// recency order), pseudo-LRU (one MRU bit per way: a touch sets its bit, and clears the others once
// all are set; the victim is the lowest way whose bit is clear) or random (splitmix64, seeded). An
// invalid way is always filled first, the lowest one.
import { GOLDEN, splitmix64 } from "./rng";

export const MAX_CACHES: i32 = 4;
export const MAX_ENTRIES: u32 = 8192;
export const MAX_SETS: u32 = 4096;
export const MAX_WAYS: u32 = 64;
/** Sets at most this wide are scanned key by key; wider ones by fingerprint, eight at a time. */
const SCAN_WAYS: u32 = 8;

export const POLICY_LRU: u32 = 0;
export const POLICY_PLRU: u32 = 1;
export const POLICY_RANDOM: u32 = 2;

/** Key classes: a translation's is its size shift (12..63), a walk entry's WALK_CLASS + level. */
export const WALK_CLASS: i32 = 64;
const CLASSES: i32 = 72;
/** No way: an empty LRU link. */
const NONE: u8 = 0xff;

// Per cache c (each region holds MAX_CACHES equal parts).
const KEYS: usize = memory.data(<i32>(MAX_CACHES * MAX_ENTRIES * 8), 16); // u64 per entry, 0 = invalid
const PRINTS: usize = memory.data(<i32>(MAX_CACHES * MAX_ENTRIES * 2 + 16), 16); // u16 fingerprint per entry, 0 = invalid
const LINKS: usize = memory.data(<i32>(MAX_CACHES * MAX_ENTRIES * 2), 16); // LRU: u8 prev, u8 next
const SET_STATE: usize = memory.data(<i32>(MAX_CACHES * MAX_SETS * 24), 16); // u64 valid, u64 mru, u8 head, u8 tail
const COUNTS: usize = memory.data(MAX_CACHES * CLASSES * 4, 16); // u32 entries per class
const HEADER: usize = memory.data(MAX_CACHES * 64, 16);

// Header fields.
const H_SETS = 0; // u32
const H_WAYS = 4; // u32
const H_POLICY = 8; // u32
const H_WIDE = 12; // u32: 1 when ways > SCAN_WAYS
const H_RNG = 16; // u64: random replacement's state
const H_SHIFTS = 24; // u64: bit s set while a translation of shift s is held
const H_LEVELS = 32; // u64: bit d set while a walk entry of level d is held

// @ts-ignore: decorator
@inline function header(c: i32): usize { return HEADER + (<usize>c << 6); }
// @ts-ignore: decorator
@inline function keyAt(c: i32, e: u32): usize { return KEYS + ((<usize>c * MAX_ENTRIES + e) << 3); }
// @ts-ignore: decorator
@inline function printAt(c: i32, e: u32): usize { return PRINTS + ((<usize>c * MAX_ENTRIES + e) << 1); }
/** A key's 16-bit fingerprint, never 0 (an invalid entry's). */
// @ts-ignore: decorator
@inline function fingerprint(key: u64): u16 { return <u16>((key * GOLDEN) >> 48) | 1; }
// @ts-ignore: decorator
@inline function linkAt(c: i32, e: u32): usize { return LINKS + ((<usize>c * MAX_ENTRIES + e) << 1); }
// @ts-ignore: decorator
@inline function setAt(c: i32, set: u32): usize { return SET_STATE + (<usize>c * MAX_SETS + set) * 24; }
// @ts-ignore: decorator
@inline function countAt(c: i32, cls: i32): usize { return COUNTS + ((<usize>c * CLASSES + cls) << 2); }

/** A translation's key: va aligned to 2^shift, with the shift; bit 0 marks it valid. */
// @ts-ignore: decorator
@inline export function translationKey(va: u64, shift: u64): u64 {
  return (va & ~((<u64>1 << shift) - 1)) | (shift << 1) | 1;
}

/** A walk entry's key: va aligned to 2^shift (the span of one level-d entry), with the level. */
// @ts-ignore: decorator
@inline export function walkKey(va: u64, shift: u64, d: i32): u64 {
  return (va & ~((<u64>1 << shift) - 1)) | (<u64>1 << 11) | (<u64>d << 7) | 1;
}

/** The set an entry of span 2^shift at va lives in. */
// @ts-ignore: decorator
@inline export function setOf(c: i32, va: u64, shift: u64): u32 {
  return <u32>(va >> shift) & (load<u32>(header(c) + H_SETS) - 1);
}

/** Configures cache c empty: sets (a power of two), ways, policy, seed. False for a shape it cannot hold. */
export function configureCache(c: i32, sets: u32, ways: u32, policy: u32, seed: u64): bool {
  if (c < 0 || c >= MAX_CACHES || sets == 0 || (sets & (sets - 1)) != 0 || sets > MAX_SETS) return false;
  if (ways == 0 || ways > MAX_WAYS || sets * ways > MAX_ENTRIES || policy > POLICY_RANDOM) return false;
  const h = header(c);
  store<u32>(h + H_SETS, sets);
  store<u32>(h + H_WAYS, ways);
  store<u32>(h + H_POLICY, policy);
  store<u32>(h + H_WIDE, ways > SCAN_WAYS ? 1 : 0);
  store<u64>(h + H_RNG, seed);
  store<u64>(h + H_SHIFTS, 0);
  store<u64>(h + H_LEVELS, 0);
  memory.fill(keyAt(c, 0), 0, <usize>sets * ways * 8);
  memory.fill(linkAt(c, 0), NONE, <usize>sets * ways * 2);
  for (let s: u32 = 0; s < sets; s++) {
    const p = setAt(c, s);
    store<u64>(p, 0);
    store<u64>(p, 0, 8);
    store<u8>(p, NONE, 16);
    store<u8>(p, NONE, 17);
  }
  memory.fill(printAt(c, 0), 0, <usize>sets * ways * 2);
  memory.fill(countAt(c, 0), 0, <usize>CLASSES * 4);
  return true;
}

/** Translation shifts held now (bit s: some entry of 2^s bytes). */
// @ts-ignore: decorator
@inline export function heldShifts(c: i32): u64 { return load<u64>(header(c) + H_SHIFTS); }
/** Walk-entry levels held now (bit d). */
// @ts-ignore: decorator
@inline export function heldLevels(c: i32): u64 { return load<u64>(header(c) + H_LEVELS); }

/** The entry holding `key` in set `set`, or -1; a hit becomes the most recently used. */
// @ts-ignore: decorator
@inline export function lookup(c: i32, key: u64, set: u32): i32 {
  const h = header(c);
  let found: i32 = -1;
  if (load<u32>(h + H_WIDE)) {
    // Eight 16-bit fingerprints at a time; a match is confirmed on the key.
    const ways = load<u32>(h + H_WAYS);
    const first = set * ways;
    const want = i16x8.splat(<i16>fingerprint(key));
    for (let w: u32 = 0; w < ways && found < 0; w += 8) {
      let m = <u32>i16x8.bitmask(i16x8.eq(v128.load(printAt(c, first + w)), want));
      if (ways - w < 8) m &= (<u32>1 << (ways - w)) - 1; // lanes past the set
      while (m != 0) {
        const e = first + w + ctz(m);
        if (load<u64>(keyAt(c, e)) == key) {
          found = <i32>e;
          break;
        }
        m &= m - 1;
      }
    }
  } else {
    const ways = load<u32>(h + H_WAYS);
    const first = set * ways;
    for (let w: u32 = 0; w < ways; w++) {
      if (load<u64>(keyAt(c, first + w)) == key) {
        found = <i32>(first + w);
        break;
      }
    }
  }
  if (found >= 0) touch(c, set, <u32>found - set * load<u32>(h + H_WAYS));
  return found;
}

/** Makes way w of `set` the most recently used. */
// @ts-ignore: decorator
@inline function touch(c: i32, set: u32, w: u32): void {
  const h = header(c);
  const policy = load<u32>(h + H_POLICY);
  const p = setAt(c, set);
  if (policy == POLICY_PLRU) {
    const ways = load<u32>(h + H_WAYS);
    const full: u64 = ways == 64 ? <u64>-1 : (<u64>1 << ways) - 1;
    let mru = load<u64>(p, 8) | (<u64>1 << w);
    if (mru == full) mru = <u64>1 << w;
    store<u64>(p, mru, 8);
  } else if (policy == POLICY_LRU) {
    const head = load<u8>(p, 16);
    if (<u32>head == w) return;
    const e = set * load<u32>(h + H_WAYS);
    unlink(c, p, e, w);
    // Push w at the front.
    const lw = linkAt(c, e + w);
    store<u8>(lw, NONE);
    store<u8>(lw, head, 1);
    if (head != NONE) store<u8>(linkAt(c, e + head), <u8>w);
    else store<u8>(p, <u8>w, 17);
    store<u8>(p, <u8>w, 16);
  }
}

/** Takes way w out of its set's LRU list, if it is in it. */
// @ts-ignore: decorator
@inline function unlink(c: i32, p: usize, e: u32, w: u32): void {
  const lw = linkAt(c, e + w);
  const prev = load<u8>(lw);
  const next = load<u8>(lw, 1);
  if (prev == NONE && next == NONE && <u32>load<u8>(p, 16) != w) return; // not linked
  if (prev != NONE) store<u8>(linkAt(c, e + prev), next, 1);
  else store<u8>(p, next, 16);
  if (next != NONE) store<u8>(linkAt(c, e + next), prev);
  else store<u8>(p, prev, 17);
}

/** Which way of `set` a fill takes: the lowest invalid one, else the policy's victim. */
// @ts-ignore: decorator
@inline function victim(c: i32, set: u32): u32 {
  const h = header(c);
  const ways = load<u32>(h + H_WAYS);
  const p = setAt(c, set);
  const valid = load<u64>(p);
  const full: u64 = ways == 64 ? <u64>-1 : (<u64>1 << ways) - 1;
  if (valid != full) return <u32>ctz(~valid);
  const policy = load<u32>(h + H_POLICY);
  if (policy == POLICY_LRU) return <u32>load<u8>(p, 17);
  if (policy == POLICY_PLRU) {
    const v = <u32>ctz(~load<u64>(p, 8));
    return v < ways ? v : 0; // one way: its bit is always set
  }
  const state = load<u64>(h + H_RNG) + GOLDEN;
  store<u64>(h + H_RNG, state);
  return <u32>(splitmix64(state) % <u64>ways);
}

/** Adds one to the class count (delta 1) or takes one away (-1), keeping the held masks. */
// @ts-ignore: decorator
@inline function count(c: i32, cls: i32, delta: i32): void {
  const q = countAt(c, cls);
  const n = load<u32>(q) + <u32>delta;
  store<u32>(q, n);
  const h = header(c) + (cls >= WALK_CLASS ? H_LEVELS : H_SHIFTS);
  const bit = <u64>1 << <u64>(cls >= WALK_CLASS ? cls - WALK_CLASS : cls);
  store<u64>(h, n == 0 ? load<u64>(h) & ~bit : load<u64>(h) | bit);
}

/** The class of a key (see translationKey and walkKey). */
// @ts-ignore: decorator
@inline function classOf(key: u64): i32 {
  return (key & (1 << 11)) != 0 ? WALK_CLASS + <i32>((key >> 7) & 15) : <i32>((key >> 1) & 63);
}

/** Puts `key` (not held) into `set`, evicting the victim if the set is full. */
// @ts-ignore: decorator
@inline export function fill(c: i32, key: u64, set: u32): void {
  const h = header(c);
  const ways = load<u32>(h + H_WAYS);
  const wide = load<u32>(h + H_WIDE) != 0;
  const w = victim(c, set);
  const e = set * ways + w;
  const old = load<u64>(keyAt(c, e));
  // The class counts change only when the key replaced was of another class (or none).
  const cls = classOf(key);
  if (old == 0 || classOf(old) != cls) {
    if (old != 0) count(c, classOf(old), -1);
    count(c, cls, 1);
  }
  store<u64>(keyAt(c, e), key);
  if (wide) store<u16>(printAt(c, e), fingerprint(key));
  const p = setAt(c, set);
  store<u64>(p, load<u64>(p) | (<u64>1 << w));
  touch(c, set, w);
}
