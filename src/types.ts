/**
 * The interface both engines implement: the WebAssembly one (`src/wasm/`) and the TypeScript
 * reference (`src/reference/`). `docs/engine.md` states the semantics they share.
 */
import type { Geometry, Granule } from "./geometry.js";

/** What a new page table is built for. */
export interface PageTableOptions {
  /** Granule in KiB (default 4). */
  granule?: Granule;
  /** VA size in bits (default 48). */
  vaBits?: number;
  /**
   * Attribute bits every new table descriptor carries (default UXNTable, bit 60, as since v5.13;
   * 0n for older kernels). PXNTable is added by NO_EXEC_MAPPINGS.
   */
  tableAttrs?: bigint;
  /**
   * Which kernel's `pgattr_change_is_safe()` judges live changes: "v6.1" (default; only an
   * all-zero side is safe), "v6.12" (an invalid side is safe, software bits may change) or "v7.3"
   * (as v6.12, and live contiguous entries may change too).
   */
  safeRule?: SafeRule;
}

/** The versions of `pgattr_change_is_safe()` the engines know. */
export type SafeRule = "v6.1" | "v6.12" | "v7.3";

/** The kernel's names of table levels (with fewer than five levels, the top one is the PGD). */
export type TableLevelName = "PGD" | "P4D" | "PUD" | "PMD" | "PTE";

/** Per-level counters, indexed by distance from the leaf (0 = PTE … 4). */
export interface LevelStats {
  /** The kernel's name of tables at this level, as `summary` and ptdump name them. */
  name: TableLevelName;
  /** The hardware lookup level of their entries, as `walk().level` and `ranges()` number it (3 = PTE; -1 = a five-level PGD). */
  level: number;
  /** Table frames allocated at this level (the PGD counts at the top level). */
  allocated: number;
  /** Table frames freed at this level. */
  freed: number;
  /** Table frames live now: allocated - freed. */
  live: number;
  /** Descriptors stored into tables of this level. */
  writes: number;
}

/** Counters of one page table. */
export interface Stats {
  /** Index = distance from the leaf; length = number of levels. */
  levels: LevelStats[];
  /** Live table frames, PGD included. */
  liveFrames: number;
  /**
   * Bytes of the live tables below the PGD: what the kernel allocates to build the map, and what
   * `summary`, the sweep and `summarize()` call tableBytes (the PGD, `swapper_pg_dir`, is part of the
   * kernel image; it is in `liveFrames` and `levels`).
   */
  tableBytes: number;
  /** Descriptors stored, all levels. */
  descriptorsWritten: number;
}

/** What a table costs: the kernel's table memory beside the simulator's own. */
export interface MemoryUsage {
  /** Bytes of the live tables below the PGD: `Stats.tableBytes`. */
  tableBytes: number;
  /** Bytes the simulator holds for those tables (table storage, records, indexes). */
  simulatorBytes: number;
  /** Bytes of the engine's own memory (a wasm instance's linear memory), 0 when not applicable. */
  wasmMemoryBytes: number;
}

/** What a single hardware walk found. */
export interface WalkResult {
  va: bigint;
  /** Output address, or undefined on a fault. */
  pa: bigint | undefined;
  /** Hardware lookup level of the leaf or of the faulting entry. */
  level: number;
  /** The leaf descriptor, or the entry that faulted. */
  descriptor: bigint;
  /** OR of bits 59-62 of the table descriptors on the way (hierarchical attributes). */
  tableAttrs: bigint;
  /** Every descriptor read, top level first. */
  path: bigint[];
  /** Undefined when translated; `translation` for an invalid entry, `range` outside TTBR1. */
  fault: "translation" | "range" | undefined;
}

/** A batch walk: one element per VA. */
export interface WalkManyResult {
  /** PA of each VA, or FAULT_PA. */
  pa: BigUint64Array;
  /** Hardware level of the leaf or of the fault. */
  level: Int8Array;
}

/** PA reported by walkMany for a VA that faults. */
export const FAULT_PA = 0xffff_ffff_ffff_ffffn;

/**
 * How setMemory treats block and contiguous entries: "classic" (pages only: a block or CONT entry
 * refuses), "split" (v6.18 BBML2: split at both ends, then change leaves in place), "leaf" (v7.x
 * when no split is needed: leaves changed in place, CONT kept; a block covered in part refuses).
 */
export type ChangeMode = "classic" | "split" | "leaf";

/** Work done by setMemory or unmap. */
export interface ChangeResult {
  /** Table frames allocated (splits). */
  framesAllocated: number;
  /** Table frames freed (unmap). */
  framesFreed: number;
  /** Descriptors stored. */
  descriptorsWritten: number;
}

/** Work done by map. */
export interface MapResult {
  framesAllocated: number;
  descriptorsWritten: number;
}

/** One line of a coalesced dump. */
export interface MappedRange {
  start: bigint;
  /** Exclusive end. */
  end: bigint;
  /** Hardware level of the entries. */
  level: number;
  /** The first entry's descriptor (0n for empty entries). */
  descriptor: bigint;
}

/** Options of `ranges`. */
export interface RangesOptions {
  /** First VA (default: the TTBR1 base). */
  start?: bigint;
  /** Exclusive end (default: 2^64). */
  end?: bigint;
  /** Entries coalesce while `desc & mask` stays the same (default: every bit but the OA). */
  mask?: bigint;
  /** Also require the OA to follow the VA (default false, as ptdump). */
  exact?: boolean;
}

/** One 64-bit translation table, as the kernel's `swapper_pg_dir` for TTBR1. */
export interface PageTableEngine {
  readonly geometry: Geometry;
  /** Map [va, va+size) to [pa, pa+size) with `prot` and the kernel's map flags. */
  map(va: bigint, pa: bigint, size: bigint, prot: bigint, flags?: number): MapResult;
  /** Clear every leaf in range and free the tables that become empty. */
  unmap(va: bigint, size: bigint): ChangeResult;
  /** One hardware walk. */
  walk(va: bigint): WalkResult;
  /**
   * Many hardware walks; one call into the engine per batch, not per VA. Results go to `out` when
   * given (arrays at least as long as `vas`), else to new arrays.
   */
  walkMany(vas: BigUint64Array, out?: WalkManyResult): WalkManyResult;
  /** `__change_memory_common`: leaves in range become `(old & ~clear) | set`. */
  setMemory(va: bigint, size: bigint, set: bigint, clear: bigint, mode?: ChangeMode): ChangeResult;
  /** Coalesced ranges, as ptdump walks them. */
  ranges(options?: RangesOptions): MappedRange[];
  /** Counters. */
  stats(): Stats;
  /** The simulator's memory beside the kernel-equivalent cost (engines that keep tables compactly). */
  memoryUsage?(): MemoryUsage;
  /** Free every table but the PGD and zero the counters (the warm rebuild). */
  reset(): void;
  /** Release the engine's memory; later calls throw EngineUnusableError. */
  dispose(): void;
}
