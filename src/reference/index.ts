/**
 * The pure-TypeScript reference engine: the oracle the WebAssembly engine is tested against. It is
 * written for clarity, not speed; docs/engine.md is its contract.
 */
import { EngineUnusableError } from "../errors.js";
import type { Geometry } from "../geometry.js";
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
import { checkChangeMasks, checkMap, checkMode, checkOptions, checkRanges, checkU64, checkVaRange, checkWalkMany } from "../validate.js";
import { changeMemoryCommon } from "./change.js";
import { FramePool, type TxnTotals } from "./frames.js";
import { createPgdMapping } from "./map.js";
import { dumpRanges } from "./ranges.js";
import type { RefState } from "./tables.js";
import { unmapRange } from "./unmap.js";
import { hardwareWalk, walkMany } from "./walk.js";

/** Options of the reference engine (the same as every engine's). */
export type ReferenceOptions = PageTableOptions;

/** The reference implementation of `PageTableEngine`. */
export class ReferencePageTable implements PageTableEngine {
  readonly geometry: Geometry;
  private state: RefState | undefined;

  /** A new page table with only its PGD. */
  constructor(options: ReferenceOptions = {}) {
    const { geometry: g, tableAttrs, safeRule } = checkOptions(options);
    this.geometry = g;
    const pool = new FramePool(g.entriesPerTable, g.levels);
    this.state = { g, pool, tableAttrs, safeRule };
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
  walkMany(vas: BigUint64Array, out?: WalkManyResult): WalkManyResult {
    const s = this.live();
    return walkMany(s, vas, checkWalkMany(vas, out));
  }

  /** `__change_memory_common`: leaves in range become `(old & ~clear) | set`. */
  setMemory(va: bigint, size: bigint, set: bigint, clear: bigint, mode: ChangeMode = "classic"): ChangeResult {
    const s = this.live();
    checkVaRange(s.g, va, size);
    checkChangeMasks(s.g, set, clear);
    checkMode(mode);
    return changeResult(s.pool.transaction(() => changeMemoryCommon(s, va, size, set, clear, mode)));
  }

  /** Coalesced ranges, as ptdump walks them. */
  ranges(options: RangesOptions = {}): MappedRange[] {
    const s = this.live();
    return dumpRanges(s, checkRanges(s.g, options));
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
