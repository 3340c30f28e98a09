// The engine's exports: one wasm instance holds one translation table (the kernel's swapper_pg_dir
// for TTBR1). No policy here: the host says which prot, which flags, which rules.
import { configureGeometry } from "./geometry";
import { safeRule } from "./descriptor";
import { STATS, fillBytes, initFrames, memoryBudget, neededBytes, recycleFrames, resetFrames, setLayout, usage } from "./frames";
import { implicitLeaves, mapRange, tableAttrs } from "./map";
import { ERR } from "./status";
import { RESULT, walkStrategy } from "./walk";
import { RANGES_STATE } from "./ranges";

export { mapRange, changeRangeProt, unmapRange, walkOne, walkBatch, rangesInto };
import { changeRangeProt } from "./change";
import { unmapRange } from "./unmap";
import { walkBatch, walkOne } from "./walk";
import { rangesInto } from "./ranges";

/** Bytes of the scratch buffer the host fills with batches (VAs in, PAs and levels out). */
export const SCRATCH_BYTES: u32 = 1 << 21;
const SCRATCH: usize = memory.data(<i32>SCRATCH_BYTES, 16);

/**
 * Sets the geometry, the table-descriptor attributes and the pgattr rule (0 = v6.1, 1 = v6.12, 2 = v7.3),
 * and allocates the PGD. Returns 0, or -1 for a geometry Linux does not offer, -2 without memory.
 */
export function init(pageShift: u32, vaBits: u32, tableAttributes: u64, rule: u32): i32 {
  if (!configureGeometry(pageShift, vaBits)) return -1;
  tableAttrs = tableAttributes;
  safeRule = rule;
  return initFrames(__heap_base) ? 0 : -2;
}

/**
 * init() for an instance whose memory held another table: the same settings, implicit leaves on,
 * and the memory kept (dirty pages are zeroed as they are taken). Returns 0, or -1 for a geometry
 * Linux does not offer.
 */
export function recycle(pageShift: u32, vaBits: u32, tableAttributes: u64, rule: u32): i32 {
  if (!configureGeometry(pageShift, vaBits)) return -1;
  tableAttrs = tableAttributes;
  safeRule = rule;
  implicitLeaves = true;
  recycleFrames();
  return 0;
}

/** Chooses how walkBatch walks (0 by table size, 1 lockstep, 2 breadth-first): for tests and benchmarks. */
export function setWalkStrategy(strategy: u32): void {
  walkStrategy = strategy;
}

/**
 * Turns implicit leaf tables on (1, default) or off (0: every table a real page, at a fixed address
 * so that walks compute it as the hardware does). The storage layout follows at once while only the
 * PGD exists, else at the next reset(); until then no record is made in the fixed layout.
 */
export function setImplicitLeaves(on: u32): void {
  implicitLeaves = on != 0;
  setLayout(on == 0);
}

/**
 * Caps wasm memory at `bytes` (the host's budget): a call that would need more is refused before
 * it writes anything (E_NOMEM), and neededBytesOf() says how much it needed.
 */
export function setMemoryBudget(bytes: u64): void {
  memoryBudget = bytes;
}

/** The wasm memory, in bytes, that the last refused call needed. */
export function neededBytesOf(): u64 {
  return neededBytes;
}

/** Frees every table but the PGD and zeroes the counters. */
export function reset(): void {
  resetFrames();
}

/** Addresses of the areas the host reads and writes. */
export function statsPtr(): usize { return STATS; }
export function errPtr(): usize { return ERR; }
export function resultPtr(): usize { return RESULT; }
export function rangesStatePtr(): usize { return RANGES_STATE; }
export function scratchPtr(): usize { return SCRATCH; }

/**
 * Memory accounting, brought up to date: u64 each, [0] real storage pages live, [1] implicit tables
 * live, [2] frame-map slots in use, [3] frame-map capacity, [4] bytes of wasm memory handed out.
 */
export function usagePtr(): usize { return usage(); }

/**
 * Benchmark ceiling: grows memory by `bytes` and fills them with memory.fill, as a dense
 * page-granular build would write its PTE tables. Returns 0, or -2 without memory.
 */
export function fillFrames(bytes: u64): i32 {
  return fillBytes(bytes);
}

export { tlbConfigure, tlbRun } from "./tlb";
export { workloadFill, workloadReset } from "./workload";
import { TLB_CONFIG, TLB_STATS } from "./tlb";
import { WORKLOAD } from "./workload";
/** Where the host writes the TLB configuration, reads the model's counters and each cache's. */
export function tlbConfigPtr(): usize { return TLB_CONFIG; }
export function tlbStatsPtr(): usize { return TLB_STATS; }
/** Where the host writes a workload before workloadReset(). */
export function workloadPtr(): usize { return WORKLOAD; }
