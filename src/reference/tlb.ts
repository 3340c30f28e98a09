/**
 * The run-time model in plain TypeScript, the oracle for assembly/tlb.ts: each set an array of
 * keys, LRU as an array in recency order, pseudo-LRU as an array of MRU bits, random replacement
 * from the same splitmix64 stream. Misses walk any PageTableEngine through its own `walk()`. The
 * semantics (what a hit fills, what a walk reads and caches) are docs/tlb-model.md's.
 */
import { levelShift, type Geometry } from "../geometry.js";
import { checkTlbConfig, setsOf, sizeMask, walkLevelMask, type CacheShape, type TlbConfig } from "../tlb/config.js";
import type { TlbCounts } from "../tlb/metrics.js";
import type { PageTableEngine } from "../types.js";
import { GOLDEN, splitmix64 } from "./rng.js";

const M64 = (1n << 64n) - 1n;
const PTE_CONT = 1n << 52n;

/** A translation's key: VA aligned to 2^shift, the shift, bit 0 set (as assembly/tlb-cache.ts). */
function translationKey(va: bigint, shift: number): bigint {
  return (va & ~((1n << BigInt(shift)) - 1n) & M64) | (BigInt(shift) << 1n) | 1n;
}

/** A walk entry's key: VA aligned to 2^shift (one level-d entry's span), the level. */
function walkKey(va: bigint, shift: number, d: number): bigint {
  return (va & ~((1n << BigInt(shift)) - 1n) & M64) | (1n << 11n) | (BigInt(d) << 7n) | 1n;
}

/** One set-associative cache of keys. */
class Cache {
  readonly #sets: number;
  readonly #ways: number;
  readonly #policy: CacheShape["replacement"];
  #rng: bigint;
  /** keys[set][way], 0n when invalid. */
  readonly #keys: bigint[][];
  /** LRU: valid ways of each set, most recent first. */
  readonly #order: number[][];
  /** Pseudo-LRU: MRU bit per way. */
  readonly #mru: boolean[][];

  constructor(shape: CacheShape, seed: bigint, what: string) {
    this.#sets = setsOf(shape, what);
    this.#ways = shape.ways;
    this.#policy = shape.replacement;
    this.#rng = seed & M64;
    this.#keys = Array.from({ length: this.#sets }, () => new Array<bigint>(this.#ways).fill(0n));
    this.#order = Array.from({ length: this.#sets }, () => []);
    this.#mru = Array.from({ length: this.#sets }, () => new Array<boolean>(this.#ways).fill(false));
  }

  setOf(va: bigint, shift: number): number {
    return Number((va >> BigInt(shift)) & BigInt(this.#sets - 1));
  }

  /** Whether the set holds key; a hit becomes the most recently used. */
  lookup(key: bigint, set: number): boolean {
    const w = this.#keys[set].indexOf(key);
    if (w < 0) return false;
    this.#touch(set, w);
    return true;
  }

  #touch(set: number, w: number): void {
    if (this.#policy === "lru") {
      const order = this.#order[set];
      const at = order.indexOf(w);
      if (at >= 0) order.splice(at, 1);
      order.unshift(w);
    } else if (this.#policy === "plru") {
      const mru = this.#mru[set];
      mru[w] = true;
      if (mru.every(Boolean)) mru.forEach((_, i) => (mru[i] = i === w));
    }
  }

  /** Puts key into the set: the lowest invalid way, else the policy's victim. */
  fill(key: bigint, set: number): void {
    const keys = this.#keys[set];
    let w = keys.indexOf(0n);
    if (w < 0) {
      if (this.#policy === "lru") w = this.#order[set][this.#order[set].length - 1];
      else if (this.#policy === "plru") w = Math.max(0, this.#mru[set].indexOf(false)); // one way: always set
      else {
        this.#rng = (this.#rng + GOLDEN) & M64;
        w = Number(splitmix64(this.#rng) % BigInt(this.#ways));
      }
    }
    keys[w] = key;
    this.#touch(set, w);
  }
}

/** The largest shift in `shifts` not above `shift`; -1 if the level holds nothing that small. */
function heldAt(shift: number, shifts: number[]): number {
  let best = -1;
  for (const s of shifts) if (s <= shift && s > best) best = s;
  return best;
}

function shiftsOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let s = 0; s < 64; s++) if ((mask >> BigInt(s)) & 1n) out.push(s);
  return out;
}

/** The model over any engine's tables. */
export class ReferenceTlb {
  readonly #pt: PageTableEngine;
  readonly #g: Geometry;
  #config: TlbConfig | undefined;
  #levels: { cache: Cache; shifts: number[] }[] = [];
  #walkCache: Cache | undefined;
  #walkLevels: number[] = [];
  #counts: TlbCounts | undefined;

  constructor(pt: PageTableEngine) {
    this.#pt = pt;
    this.#g = pt.geometry;
  }

  /** Configures the caches empty and zeroes the counters (seeds as the wasm model: seed + cache index). */
  configure(config: TlbConfig, seed: bigint): void {
    checkTlbConfig(config);
    this.#config = config;
    this.#levels = config.levels.map((l, i) => ({ cache: new Cache(l, seed + BigInt(i), l.name), shifts: shiftsOf(sizeMask(l)) }));
    const wc = config.walkCache;
    this.#walkCache = wc.kind === "none" ? undefined : wc.kind === "shared" ? this.#levels[this.#levels.length - 1].cache : new Cache(wc, seed + 3n, "walk cache");
    this.#walkLevels = wc.kind === "none" ? [] : shiftsOf(walkLevelMask(wc.levels));
    this.#counts = {
      accesses: 0,
      walks: 0,
      walkRefs: 0,
      faults: 0,
      walkCacheLookups: 0,
      walkCacheHits: 0,
      levels: config.levels.map((l) => ({ name: l.name, lookups: 0, misses: 0 })),
    };
  }

  #fillLevels(last: number, va: bigint, shift: number): void {
    for (let i = last - 1; i >= 0; i--) {
      const { cache, shifts } = this.#levels[i];
      const s = heldAt(shift, shifts);
      if (s < 0) continue; // smaller than every size the level holds: not cached there
      cache.fill(translationKey(va, s), cache.setOf(va, s));
    }
  }

  /** One access. */
  access(va: bigint): void {
    const c = this.#counts;
    if (!c) throw new Error("ReferenceTlb: configure() first");
    c.accesses++;
    for (let i = 0; i < this.#levels.length; i++) {
      c.levels[i].lookups++;
      const { cache, shifts } = this.#levels[i];
      const hit = shifts.find((s) => cache.lookup(translationKey(va, s), cache.setOf(va, s)));
      if (hit !== undefined) {
        this.#fillLevels(i, va, hit);
        return;
      }
      c.levels[i].misses++;
    }
    if (va < this.#g.ttbr1Base) {
      c.faults++;
      return;
    }
    const w = this.#pt.walk(va);
    const top = this.#g.levels - 1;
    const leafD = 3 - w.level;
    let start = top;
    const wc = this.#walkCache;
    if (wc) {
      c.walkCacheLookups++;
      for (const h of this.#walkLevels) {
        const s = levelShift(this.#g, h);
        if (wc.lookup(walkKey(va, s, h), wc.setOf(va, s))) {
          c.walkCacheHits++;
          start = h - 1;
          break;
        }
      }
    }
    if (start < leafD) start = leafD;
    c.walks++;
    c.walkRefs += start - leafD + 1;
    if (wc) {
      for (let d = start; d > leafD; d--) {
        if (!this.#walkLevels.includes(d)) continue;
        const s = levelShift(this.#g, d);
        wc.fill(walkKey(va, s, d), wc.setOf(va, s));
      }
    }
    if (w.fault !== undefined) {
      c.faults++;
      return;
    }
    let shift = levelShift(this.#g, leafD);
    if ((w.descriptor & PTE_CONT) !== 0n && leafD <= 1) shift += Math.log2(this.#g.contEntries[leafD]);
    this.#fillLevels(this.#levels.length, va, shift);
  }

  /** Simulates the VAs in order. */
  run(vas: Iterable<bigint>): void {
    for (const va of vas) this.access(va);
  }

  /** The counters so far. */
  counts(): TlbCounts {
    if (!this.#counts || !this.#config) throw new Error("ReferenceTlb: configure() first");
    return structuredClone(this.#counts);
  }
}
