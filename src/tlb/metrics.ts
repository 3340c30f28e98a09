/**
 * What a run of the run-time model counted, and what follows from it: misses per thousand accesses
 * per level, memory references per walk, and an estimated cycle cost from the configured latencies.
 */
import type { TlbConfig } from "./config.js";

/** Raw counts, the same from both engines' models. */
export interface TlbCounts {
  accesses: number;
  /** Page-table walks (misses in every TLB level, faults included). */
  walks: number;
  /** Descriptors the walks read from memory (those the walk cache did not save). */
  walkRefs: number;
  /** Accesses that found no translation. */
  faults: number;
  walkCacheLookups: number;
  walkCacheHits: number;
  /** Per TLB level, L1 first. */
  levels: { name: string; lookups: number; misses: number }[];
}

/** Derived metrics of one run. */
export interface TlbMetrics {
  /** Misses per 1000 accesses, per level. */
  mpki: { name: string; value: number }[];
  /** Walks per 1000 accesses (equals the last level's MPKI). */
  walksPerKilo: number;
  /** Memory references per walk. */
  refsPerWalk: number;
  walkCacheHitRate: number;
  /** Estimated translation cycles: L1 misses × the next level's hit cycles … + walk references × walkRefCycles. */
  cycles: number;
  cyclesPerAccess: number;
}

/** Metrics from counts and the configuration's latencies. */
export function metrics(c: TlbCounts, config: TlbConfig): TlbMetrics {
  const per = (n: number) => (c.accesses === 0 ? 0 : n / c.accesses);
  let cycles = c.walkRefs * config.walkRefCycles;
  for (let i = 1; i < c.levels.length; i++) cycles += c.levels[i - 1].misses * config.levels[i].hitCycles;
  return {
    mpki: c.levels.map((l) => ({ name: l.name, value: per(l.misses) * 1000 })),
    walksPerKilo: per(c.walks) * 1000,
    refsPerWalk: c.walks === 0 ? 0 : c.walkRefs / c.walks,
    walkCacheHitRate: c.walkCacheLookups === 0 ? 0 : c.walkCacheHits / c.walkCacheLookups,
    cycles,
    cyclesPerAccess: per(cycles),
  };
}
