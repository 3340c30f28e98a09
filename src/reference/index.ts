/**
 * The pure-TypeScript reference engine: the oracle the WebAssembly engine is tested against. It is
 * written for clarity, not speed; docs/engine.md is its contract.
 */
import { PMD_TABLE_UXN } from "../descriptor.js";
import { EngineUnusableError, InvalidArgumentError } from "../errors.js";
import { type Geometry, SUPPORTED_VA_BITS, geometry, oaFieldMask } from "../geometry.js";
import type {
  ChangeMode,
  ChangeResult,
  MapResult,
  MappedRange,
  PageTableEngine,
  PageTableOptions,
  RangesOptions,
  Stats,
  WalkManyResult,
  WalkResult,
} from "../types.js";
import { checkChangeMasks, checkMap, checkVaRange } from "../validate.js";
import { changeMemoryCommon } from "./change.js";
import { FramePool, type TxnTotals } from "./frames.js";
import { createPgdMapping } from "./map.js";
import type { SafeRule } from "./safety.js";
import { dumpRanges } from "./ranges.js";
import { type RefState, VA_LIMIT } from "./tables.js";
import { unmapRange } from "./unmap.js";
import { hardwareWalk, walkMany } from "./walk.js";

const U64_MASK = VA_LIMIT - 1n;

/** Options of the reference engine: those of every engine, plus the kernel whose safety rule applies. */
export interface ReferenceOptions extends PageTableOptions {
  /** `pgattr_change_is_safe` of v6.1 (default: only an all-zero side is safe) or of v6.12+. */
  safeRule?: SafeRule;
}

export type { SafeRule };

/** Checks a bigint argument is a 64-bit unsigned value (or, with `allowLimit`, exactly 2^64). */
function checkU64(name: string, v: unknown, allowLimit = false): asserts v is bigint {
  if (typeof v !== "bigint") throw new InvalidArgumentError(name, `must be a bigint, got ${typeof v}`);
  if (v < 0n || v > VA_LIMIT || (v === VA_LIMIT && !allowLimit)) {
    throw new InvalidArgumentError(name, `${v} is not a 64-bit unsigned value`);
  }
}

/** The geometry of the options, with unsupported pairs reported as InvalidArgumentError. */
function optionsGeometry(o: PageTableOptions): Geometry {
  const granule = o.granule ?? 4;
  const vaBits = o.vaBits ?? 48;
  if (!(granule in SUPPORTED_VA_BITS)) throw new InvalidArgumentError("granule", `${granule}K is not 4, 16 or 64`);
  if (!SUPPORTED_VA_BITS[granule].includes(vaBits)) {
    throw new InvalidArgumentError("vaBits", `${vaBits} is not offered with ${granule}K pages`);
  }
  return geometry(granule, vaBits);
}

/** The tableAttrs option: default UXNTable; may not carry OA bits or the type bits [1:0]. */
function optionsTableAttrs(g: Geometry, o: PageTableOptions): bigint {
  const attrs = o.tableAttrs ?? PMD_TABLE_UXN;
  checkU64("tableAttrs", attrs);
  if (attrs & (oaFieldMask(g) | 3n)) throw new InvalidArgumentError("tableAttrs", "may not carry output-address bits or bits [1:0]");
  return attrs;
}

/** The reference implementation of `PageTableEngine`. */
export class ReferencePageTable implements PageTableEngine {
  readonly geometry: Geometry;
  private state: RefState | undefined;

  /** A new page table with only its PGD. */
  constructor(options: ReferenceOptions = {}) {
    this.geometry = optionsGeometry(options);
    const g = this.geometry;
    const safeRule = options.safeRule ?? "v6.1";
    if (safeRule !== "v6.1" && safeRule !== "v6.12") throw new InvalidArgumentError("safeRule", `${String(safeRule)} is not "v6.1" or "v6.12"`);
    const pool = new FramePool(g.entriesPerTable, g.levels);
    this.state = { g, pool, tableAttrs: optionsTableAttrs(g, options), safeRule };
  }

  /** The live state, or EngineUnusableError after dispose(). */
  private live(): RefState {
    if (!this.state) throw new EngineUnusableError("dispose() was called");
    return this.state;
  }

  /** Map [va, va+size) to [pa, pa+size) with `prot` and the kernel's map flags. */
  map(va: bigint, pa: bigint, size: bigint, prot: bigint, flags = 0): MapResult {
    const s = this.live();
    checkMap(s.g, va, pa, size, prot, flags);
    const t = s.pool.transaction(() => createPgdMapping(s, va, pa, size, prot, flags));
    return { framesAllocated: t.framesAllocated, descriptorsWritten: t.descriptorsWritten };
  }

  /** Clear every leaf in range and free the tables that become empty. */
  unmap(va: bigint, size: bigint): ChangeResult {
    const s = this.live();
    checkVaRange(s.g, va, size);
    return changeResult(s.pool.transaction(() => unmapRange(s, va, size)));
  }

  /** One hardware walk. */
  walk(va: bigint): WalkResult {
    const s = this.live();
    checkU64("va", va);
    return hardwareWalk(s, va);
  }

  /** Many hardware walks. */
  walkMany(vas: BigUint64Array): WalkManyResult {
    const s = this.live();
    if (!(vas instanceof BigUint64Array)) throw new InvalidArgumentError("vas", "must be a BigUint64Array");
    return walkMany(s, vas);
  }

  /** `__change_memory_common`: leaves in range become `(old & ~clear) | set`. */
  setMemory(va: bigint, size: bigint, set: bigint, clear: bigint, mode: ChangeMode = "classic"): ChangeResult {
    const s = this.live();
    checkVaRange(s.g, va, size);
    checkChangeMasks(s.g, set, clear);
    if (mode !== "classic" && mode !== "split") throw new InvalidArgumentError("mode", `${String(mode)} is not "classic" or "split"`);
    return changeResult(s.pool.transaction(() => changeMemoryCommon(s, va, size, set, clear, mode)));
  }

  /** Coalesced ranges, as ptdump walks them. */
  ranges(options: RangesOptions = {}): MappedRange[] {
    const s = this.live();
    const start = options.start ?? s.g.ttbr1Base;
    const end = options.end ?? VA_LIMIT;
    const mask = options.mask ?? ~oaFieldMask(s.g) & U64_MASK;
    checkU64("start", start);
    checkU64("end", end, true);
    checkU64("mask", mask);
    if (start < s.g.ttbr1Base) throw new InvalidArgumentError("start", "is below the TTBR1 range");
    if (end <= start) throw new InvalidArgumentError("end", "must be above start");
    return dumpRanges(s, { start, end, mask, exact: options.exact ?? false });
  }

  /** Counters. */
  stats(): Stats {
    const s = this.live();
    return s.pool.stats(s.g.pageSize);
  }

  /** Free every table but the PGD and zero the counters: the engine is as new (frame numbering too). */
  reset(): void {
    this.live().pool.reset();
  }

  /** Release the tables; later calls throw EngineUnusableError (a second dispose() does nothing). */
  dispose(): void {
    this.state?.pool.release();
    this.state = undefined;
  }
}

function changeResult(t: TxnTotals): ChangeResult {
  return { framesAllocated: t.framesAllocated, framesFreed: t.framesFreed, descriptorsWritten: t.descriptorsWritten };
}
