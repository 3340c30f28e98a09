// Address generators for the run-time model: each access is an offset into the linear map's
// mapped bytes (its ranges laid end to end), then the VA of that offset. Components: uniform over a
// region, sequential with a stride (wrapping in its region), and Zipf(s) over 4 KiB items whose ranks
// are scattered over the region by a fixed permutation; a mix draws one component per access by
// weight. One splitmix64 stream drives everything, so a seed reproduces the stream; the reference
// (src/tlb/workload.ts) follows the same steps.
import { GOLDEN, splitmix64 } from "./rng";

export const MAX_RANGES: i32 = 64;
export const MAX_COMPONENTS: i32 = 8;
export const KIND_UNIFORM: u32 = 0;
export const KIND_SEQ: u32 = 1;
export const KIND_ZIPF: u32 = 2;

/**
 * Written by the host, then workloadReset(): u64 each. [0] ranges, [1] components, [2] seed;
 * ranges at [4..]: VA, length; components after the ranges (16 slots each): kind, threshold (a
 * draw below it picks this component, the last takes the rest), region offset, region length,
 * stride (seq), Zipf exponent (f64), items (Zipf).
 */
export const WORKLOAD: usize = memory.data(<i32>(4 + MAX_RANGES * 2 + MAX_COMPONENTS * 16) * 8, 8);
const COMPONENTS: usize = WORKLOAD + <usize>(4 + MAX_RANGES * 2) * 8;
/** Range starts as offsets (prefix sums of the lengths). */
const PREFIX: usize = memory.data(MAX_RANGES * 8, 8);

let state: u64 = 0;
let ranges: i32 = 0;
let components: i32 = 0;

// Component fields (u64 slots).
const C_KIND = 0;
const C_THRESHOLD = 1;
const C_OFFSET = 2;
const C_LENGTH = 3;
const C_STRIDE = 4;
const C_S = 5; // f64: Zipf exponent
const C_ITEMS = 6;
const C_POS = 7; // seq: next offset in the region
const C_PRIME = 8; // Zipf: the permutation's multiplier
const C_HX1 = 9; // f64: rejection-inversion constants
const C_HN = 10;
const C_S2 = 11;

// @ts-ignore: decorator
@inline function field(c: i32, f: i32): usize { return COMPONENTS + ((<usize>c * 16 + <usize>f) << 3); }

// @ts-ignore: decorator
@inline function next(): u64 {
  state += GOLDEN;
  return splitmix64(state);
}

/** floor(r * n / 2^64): a draw scaled to [0, n) without a division (Lemire's multiply-shift). */
// @ts-ignore: decorator
@inline export function scaled(r: u64, n: u64): u64 {
  const rl = r & 0xffffffff, rh = r >> 32;
  const nl = n & 0xffffffff, nh = n >> 32;
  const ll = rl * nl, lh = rl * nh, hl = rh * nl, hh = rh * nh;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

// @ts-ignore: decorator
@inline function nextDouble(): f64 {
  return <f64>(next() >> 11) * 1.1102230246251565e-16; // 2^-53
}

// Zipf by rejection-inversion: W. Hörmann, G. Derflinger, "Rejection-inversion to generate variates
// from monotone discrete distributions", ACM TOMACS 6(3), 1996 (as in Apache Commons RNG).
function helper1(x: f64): f64 { return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)); }
function helper2(x: f64): f64 { return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3.0) * (1 + 0.25 * x)); }
function hIntegral(x: f64, s: f64): f64 { const l = Math.log(x); return helper2((1 - s) * l) * l; }
function h(x: f64, s: f64): f64 { return Math.exp(-s * Math.log(x)); }
function hIntegralInverse(x: f64, s: f64): f64 {
  let t = x * (1 - s);
  if (t < -1) t = -1;
  return Math.exp(helper1(t) * x);
}

/** A rank in [1, n], rank 1 the most frequent. */
function zipfRank(c: i32): u64 {
  const s = load<f64>(field(c, C_S));
  const n = load<u64>(field(c, C_ITEMS));
  const hX1 = load<f64>(field(c, C_HX1));
  const hN = load<f64>(field(c, C_HN));
  const s2 = load<f64>(field(c, C_S2));
  while (true) {
    const u = hN + nextDouble() * (hX1 - hN);
    const x = hIntegralInverse(u, s);
    let k = <u64>(x + 0.5);
    if (x + 0.5 < 1) k = 1;
    else if (k > n) k = n;
    if (<f64>k - x <= s2 || u >= hIntegral(<f64>k + 0.5, s) - h(<f64>k, s)) return k;
  }
}

/** Resets the stream from WORKLOAD. Returns 0, or -1 for a configuration it cannot use. */
export function workloadReset(): i32 {
  ranges = <i32>load<u64>(WORKLOAD);
  components = <i32>load<u64>(WORKLOAD, 8);
  if (ranges < 1 || ranges > MAX_RANGES || components < 1 || components > MAX_COMPONENTS) return -1;
  state = load<u64>(WORKLOAD, 16);
  let total: u64 = 0;
  for (let r = 0; r < ranges; r++) {
    store<u64>(PREFIX + (<usize>r << 3), total);
    total += load<u64>(WORKLOAD + 32 + (<usize>r << 4), 8);
  }
  for (let c = 0; c < components; c++) {
    const length = load<u64>(field(c, C_LENGTH));
    if (length == 0 || load<u64>(field(c, C_OFFSET)) + length > total) return -1;
    store<u64>(field(c, C_POS), 0);
    // A stride is kept reduced, so that stepping is an add and a conditional subtract.
    store<u64>(field(c, C_STRIDE), load<u64>(field(c, C_STRIDE)) % length);
    if (load<u64>(field(c, C_KIND)) == KIND_ZIPF) {
      const s = load<f64>(field(c, C_S));
      const n = load<u64>(field(c, C_ITEMS));
      if (n == 0 || !(s > 0)) return -1;
      store<f64>(field(c, C_HX1), hIntegral(1.5, s) - 1);
      store<f64>(field(c, C_HN), hIntegral(<f64>n + 0.5, s));
      store<f64>(field(c, C_S2), 2 - hIntegralInverse(hIntegral(2.5, s) - h(2, s), s));
    }
  }
  return 0;
}

/** The VA of an offset into the ranges laid end to end. */
// @ts-ignore: decorator
@inline function vaOf(offset: u64): u64 {
  if (ranges == 1) return load<u64>(WORKLOAD + 32) + offset;
  let lo = 0;
  let hi = ranges - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (load<u64>(PREFIX + (<usize>mid << 3)) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return load<u64>(WORKLOAD + 32 + (<usize>lo << 4)) + (offset - load<u64>(PREFIX + (<usize>lo << 3)));
}

/** The next offset of component c. */
function offsetOf(c: i32): u64 {
  const kind = <u32>load<u64>(field(c, C_KIND));
  const length = load<u64>(field(c, C_LENGTH));
  let within: u64;
  if (kind == KIND_UNIFORM) {
    within = scaled(next(), length);
  } else if (kind == KIND_SEQ) {
    within = load<u64>(field(c, C_POS));
    const step = within + load<u64>(field(c, C_STRIDE)); // both below length: no overflow past 2^64
    store<u64>(field(c, C_POS), step >= length ? step - length : step);
  } else {
    const n = load<u64>(field(c, C_ITEMS));
    const item = ((zipfRank(c) - 1) * load<u64>(field(c, C_PRIME))) % n;
    within = item << 12;
  }
  return load<u64>(field(c, C_OFFSET)) + within;
}

/** Writes the next n VAs of the stream at `vas` (u64 each). */
export function workloadFill(vas: usize, n: u32): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    let c = 0;
    if (components > 1) {
      const r = next();
      while (c < components - 1 && r >= load<u64>(field(c, C_THRESHOLD))) c++;
    }
    store<u64>(vas + (i << 3), vaOf(offsetOf(c)));
  }
}
