/**
 * What the run-time model simulates: the TLB levels and the walk cache of one core, and the
 * latencies that turn its counts into cycles. Both engines' models (src/wasm/tlb.ts,
 * src/reference/tlb.ts) take this; `cores.ts` holds presets.
 */
import { InvalidArgumentError } from "../errors.js";
import { parseSize } from "../units.js";

/** Replacement within a set: true LRU, bit pseudo-LRU (one MRU bit per way), or seeded random. */
export type Replacement = "lru" | "plru" | "random";

/** One set-associative cache of translations. */
export interface CacheShape {
  /** Entries in all (sets × ways; sets a power of two). */
  entries: number;
  /** Ways per set; `entries` for a fully associative cache. */
  ways: number;
  replacement: Replacement;
}

/** One TLB level. */
export interface TlbLevel extends CacheShape {
  /** Name in reports: "L1D", "L2". */
  name: string;
  /**
   * Translation sizes held, as `4K`, `2M`…: a larger translation is held at the largest of these
   * that fits in it (a 1G block as 512M in an L1 that holds 512M but not 1G).
   */
  sizes: string[];
  /** Cycles a lookup that reaches this level costs (the L1's is hidden in the load's latency: 0). */
  hitCycles: number;
}

/** The walk cache: its own cache, or entries in the last TLB level (`shared`). */
export type WalkCache =
  | { kind: "none" }
  | ({ kind: "own"; levels: number[] } & CacheShape)
  | { kind: "shared"; levels: number[] };

/** A core's data-side translation hardware, as modelled. */
export interface TlbConfig {
  /** L1 first; one to three levels. */
  levels: TlbLevel[];
  /**
   * Walk cache; `levels` are the table levels whose descriptors it holds, by distance from the
   * leaf (1 = PMD entries, which name PTE tables; 2 = PUD entries; 3 = P4D/PGD entries).
   */
  walkCache: WalkCache;
  /** Cycles per memory reference of a walk (a descriptor load that misses the walk cache). */
  walkRefCycles: number;
}

/** The limits of the wasm model (assembly/tlb-cache.ts). */
export const LIMITS = { maxEntries: 8192, maxSets: 4096, maxWays: 64, maxLevels: 3 } as const;

/** Sets of a shape, checked: a power of two within the limits. */
export function setsOf(shape: CacheShape, what: string): number {
  const { entries, ways } = shape;
  if (!Number.isInteger(ways) || ways < 1 || ways > LIMITS.maxWays) throw new InvalidArgumentError(what, `ways must be 1..${LIMITS.maxWays}, not ${ways}`);
  if (!Number.isInteger(entries) || entries < 1 || entries > LIMITS.maxEntries || entries % ways !== 0) {
    throw new InvalidArgumentError(what, `entries must be a multiple of the ways (${ways}) up to ${LIMITS.maxEntries}, not ${entries}`);
  }
  const sets = entries / ways;
  if ((sets & (sets - 1)) !== 0 || sets > LIMITS.maxSets) throw new InvalidArgumentError(what, `sets (entries / ways = ${sets}) must be a power of two up to ${LIMITS.maxSets}`);
  return sets;
}

/** The bit mask of size shifts a level holds (bit s: 2^s bytes). */
export function sizeMask(level: TlbLevel): bigint {
  let mask = 0n;
  for (const s of level.sizes) {
    const bytes = parseSize(s);
    if (bytes < 4096n || (bytes & (bytes - 1n)) !== 0n) throw new InvalidArgumentError(`${level.name} sizes`, `"${s}" is not a power-of-two size of at least 4K`);
    mask |= 1n << BigInt(bytes.toString(2).length - 1);
  }
  if (mask === 0n) throw new InvalidArgumentError(`${level.name} sizes`, "a level must hold at least one size");
  return mask;
}

/** The walk-cache level mask (bit d), levels 1-4. */
export function walkLevelMask(levels: readonly number[]): bigint {
  let mask = 0n;
  for (const d of levels) {
    if (!Number.isInteger(d) || d < 1 || d > 4) throw new InvalidArgumentError("walk cache levels", `${d} is not a table level (1 = PMD … 4)`);
    mask |= 1n << BigInt(d);
  }
  return mask;
}

/** Checks a configuration as a whole; throws an InvalidArgumentError naming the part. */
export function checkTlbConfig(c: TlbConfig): void {
  if (c.levels.length < 1 || c.levels.length > LIMITS.maxLevels) throw new InvalidArgumentError("TLB levels", `1 to ${LIMITS.maxLevels}, not ${c.levels.length}`);
  for (const l of c.levels) {
    setsOf(l, l.name);
    sizeMask(l);
  }
  if (c.walkCache.kind === "own") setsOf(c.walkCache, "walk cache");
  if (c.walkCache.kind !== "none") walkLevelMask(c.walkCache.levels);
  if (!(c.walkRefCycles >= 0)) throw new InvalidArgumentError("walkRefCycles", `${c.walkRefCycles} is not a number of cycles`);
}
