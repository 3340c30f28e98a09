/**
 * One sweep point: a layout of a given size booted under one policy, built cold (a fresh engine)
 * and warm (the same engine after reset()), and measured. Runs in a worker thread or in-process;
 * tasks and results are plain data (structured-cloneable, JSON-ready numbers).
 */
import { NO_BLOCK_MAPPINGS } from "../descriptor.js";
import { entrySize } from "../geometry.js";
import { countLeaves } from "../leaves.js";
import { summarize } from "../report/summary.js";
import { runScenario, type ScenarioInput } from "../scenario.js";
import type { PageTableEngine } from "../types.js";
import { formatSize } from "../units.js";
import { WasmPageTable } from "../wasm/page-table.js";
import { corePreset } from "../tlb/cores.js";
import { runTlb } from "../tlb/run.js";
import { buildLayout, type LayoutName } from "./layouts.js";
import { NO_GATE, type PointGate } from "./gate.js";
import { policyByName, policyConfig } from "./policies.js";

/** What a worker is asked to do. */
export interface PointTask {
  layout: LayoutName;
  policy: string;
  /** RAM in bytes, as a decimal string. */
  size: string;
}

/** Bytes mapped by each kind of leaf: the simulator's count (arm64's /proc/meminfo has no DirectMap lines). */
export interface DirectMap {
  /** Pages without CONT (DirectMap4K with 4K pages). */
  pte: number;
  /** Pages in CONT groups (DirectMap64K with 4K pages, 2M with 16K and 64K). */
  contPte: number;
  /** PMD blocks without CONT (DirectMap2M; 32M with 16K; 512M with 64K). */
  pmd: number;
  /** PMD blocks in CONT groups (DirectMap32M; 1G with 16K; 16G with 64K). */
  contPmd: number;
  /** PUD blocks (DirectMap1G; 4K pages only). */
  pud: number;
}

/** The measurements of one point. */
export interface PointResult {
  layout: LayoutName;
  policy: string;
  /** RAM in bytes (the layout's total). */
  sizeBytes: number;
  /** RAM as a size: 16G, 4T. */
  size: string;
  ok: boolean;
  /** Why the point failed (ok false). */
  error?: { name: string; message: string };
  granule: number;
  /** Bytes mapped by valid leaves. */
  mappedBytes: number;
  /** Table pages below the PGD, by level (the kernel's allocations for the linear map). */
  tables: { pud: number; pmd: number; pte: number };
  /** Their bytes. */
  tableBytes: number;
  /** tableBytes / RAM. */
  tableShare: number;
  /** Descriptors stored during the whole boot (bank loop, kernel alias, its RO remap, splits). */
  descriptorsWritten: number;
  /** Boot on a fresh engine (instance, memory growth, map calls), milliseconds (median of 5 runs below 20 ms, of 3 below 100 ms). */
  coldMs: number;
  /** The same boot on the same engine after reset(), milliseconds (median of 5 runs below 20 ms, of 3 below 100 ms). */
  warmMs: number;
  /** The warm rebuild gave the same statistics as the cold one. */
  warmMatches: boolean;
  /** The simulator's own memory after the cold build. */
  memory: { source: "engine" | "rss"; simulatorBytes: number; wasmMemoryBytes: number };
  /** Leaf mappings by size (bytes). */
  directMap: DirectMap;
  /** The DirectMap line names for this granule: pte, contPte, pmd, contPmd, pud. */
  directMapLabels: [string, string, string, string, string];
  /** TLB entries to cover the linear map: one per leaf, one per whole CONT group. */
  tlbEntries: number;
  /** The run-time model on this map (SWEEP_TLB's core and workload): misses per 1000 accesses and cycles. */
  tlb: { l1Mpki: number; l2Mpki: number; walksPerKilo: number; refsPerWalk: number; cyclesPerAccess: number };
  /** The bank loop ran with NO_BLOCK_MAPPINGS. */
  pageGranular: boolean;
  /** Why (the boot model's reasons), and where the crashkernel went. */
  reasons: string[];
  crashkernel?: string;
  /** Post-boot failures and the boot model's notes. */
  notes: string[];
}

/** The scenario of a task. */
export function pointScenario(task: PointTask): ScenarioInput {
  const p = policyByName(task.policy);
  return {
    memmap: buildLayout(task.layout, BigInt(task.size)),
    kernel: p.kernel,
    cmdline: p.cmdline,
    config: policyConfig(p),
    crashStrategy: p.crashStrategy,
    bbml2: p.bbml2,
  };
}

/** DirectMap line names of a granule. */
export function directMapLabels(granule: number): [string, string, string, string, string] {
  if (granule === 16) return ["16K", "2M", "32M", "1G", "-"];
  if (granule === 64) return ["64K", "2M", "512M", "16G", "-"];
  return ["4K", "64K", "2M", "32M", "1G"];
}

function errorOf(e: unknown): { name: string; message: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message.split("\n")[0] };
}

/** The result of a point that did not run (or failed before measuring): zeros, `ok: false`. */
export function failedPoint(task: PointTask, error?: unknown): PointResult {
  const sizeBytes = BigInt(task.size);
  let granule = 4;
  try {
    granule = policyConfig(policyByName(task.policy)).granule;
  } catch {
    // an unknown policy: the error says so
  }
  return {
    layout: task.layout,
    policy: task.policy,
    sizeBytes: Number(sizeBytes),
    size: formatSize(sizeBytes),
    ok: false,
    ...(error === undefined ? {} : { error: errorOf(error) }),
    granule,
    mappedBytes: 0,
    tables: { pud: 0, pmd: 0, pte: 0 },
    tableBytes: 0,
    tableShare: 0,
    descriptorsWritten: 0,
    coldMs: 0,
    warmMs: 0,
    warmMatches: false,
    memory: { source: "engine", simulatorBytes: 0, wasmMemoryBytes: 0 },
    directMap: { pte: 0, contPte: 0, pmd: 0, contPmd: 0, pud: 0 },
    directMapLabels: directMapLabels(granule),
    tlbEntries: 0,
    tlb: { l1Mpki: 0, l2Mpki: 0, walksPerKilo: 0, refsPerWalk: 0, cyclesPerAccess: 0 },
    pageGranular: false,
    reasons: [],
    notes: [],
  };
}

/** An engine whose wasm memory reached this is collected at once after its point (when gc() is there). */
const COLLECT_BYTES = 64 * 2 ** 20;

/** How many times a build whose first run took `ms` is timed (the median is kept). */
const repeats = (ms: number) => (ms < 20 ? 5 : ms < 100 ? 3 : 1);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** The run-time model each point runs: a Neoverse N1 under uniform random accesses over the linear map. */
export const SWEEP_TLB = { core: "neoverse-n1", workload: "uniform", accesses: 100_000, seed: 1n } as const;

/**
 * Wasm engines this thread keeps between points: a build takes one (recycled: a new table in its
 * instance) instead of a fresh instance, whose memory the host would map page by page again. On
 * the machines this project runs on a first touch costs about 11 µs a page (1 GiB of fresh memory:
 * 2.9 s; touched again: 7 ms), which made fresh instances most of the sweep's time.
 */
const spares: WasmPageTable[] = [];
const SPARES = 2;

/** A spare engine to build on, if there is one. */
const takeSpare = (): WasmPageTable | undefined => spares.pop();

/** Keeps a wasm engine for the next build, or disposes of it. */
function giveBack(pt: PageTableEngine | undefined): void {
  if (pt instanceof WasmPageTable && spares.length < SPARES) spares.push(pt);
  else pt?.dispose();
}

/** Runs one point. Never throws: a failure is a result with `ok: false` and the error. */
export function runPoint(task: PointTask, gate: PointGate = NO_GATE): PointResult {
  const sizeBytes = BigInt(task.size);
  const base = failedPoint(task);
  let pt: PageTableEngine | undefined;
  let heldBytes = 0;
  try {
    const input = pointScenario(task);
    // A cold build on a fresh instance runs alone (its memory faults in: see gate.ts); on a recycled
    // one, whose memory is mapped already, alongside other points (measured: the cold builds of a
    // whole sweep took 10.7 s alone, 9.7 s side by side), as does the rest of every point.
    const spare = takeSpare();
    const section = <T>(f: () => T): T => (spare ? gate.shared(f) : gate.exclusive(f));
    const { sc, coldMs, rss0, rss1 } = section(() => {
      const rss0 = process.memoryUsage().rss;
      let t0 = performance.now();
      const sc = runScenario({ ...input, recycle: spare });
      const times = [performance.now() - t0];
      const rss1 = process.memoryUsage().rss;
      // A quick build is timed again (new tables in recycled engines) and the median kept: a single
      // sample of a few milliseconds is mostly noise (a GC, a tier-up, another thread).
      while (times.length < repeats(times[0])) {
        const spare = takeSpare();
        t0 = performance.now();
        const again = runScenario({ ...input, recycle: spare });
        times.push(performance.now() - t0);
        giveBack(again.pt);
      }
      return { sc, coldMs: median(times), rss0, rss1 };
    });
    pt = sc.pt;
    const built = pt;
    heldBytes = built.memoryUsage?.().wasmMemoryBytes ?? 0;
    const { memory, stats, s, warmMs, warmMatches, mapped } = gate.shared(() => {
      const usage = built.memoryUsage?.();
      const memory: PointResult["memory"] = usage
        ? { source: "engine", simulatorBytes: usage.simulatorBytes, wasmMemoryBytes: usage.wasmMemoryBytes }
        : { source: "rss", simulatorBytes: Math.max(0, rss1 - rss0), wasmMemoryBytes: 0 };
      const stats = built.stats();
      const counted = countLeaves(built, sc.linear.start, sc.linear.end);
      const s = summarize(built, sc.linear.start, sc.linear.end, counted);
      const times: number[] = [];
      do {
        built.reset();
        const t0 = performance.now();
        runScenario({ ...input, pageTable: built });
        times.push(performance.now() - t0);
      } while (times.length < repeats(times[0]));
      const warmMs = median(times);
      const again = built.stats();
      const warmMatches = again.descriptorsWritten === stats.descriptorsWritten && again.tableBytes === stats.tableBytes;
      return { memory, stats, s, warmMs, warmMatches, mapped: counted.mapped };
    });

    const g = pt.geometry;
    const page = Number(g.pageSize);
    const L = s.leaves;
    const directMap: DirectMap = {
      pte: (L.ptes - L.pteCont) * page,
      contPte: L.pteCont * page,
      pmd: (L.pmdBlocks - L.pmdCont) * Number(entrySize(g, 1)),
      contPmd: L.pmdCont * Number(entrySize(g, 1)),
      pud: L.pudBlocks * Number(entrySize(g, 2)),
    };
    const [cPte, cPmd] = g.contEntries;
    const tlbEntries = L.ptes - L.pteCont + Math.ceil(L.pteCont / cPte) + L.pmdBlocks - L.pmdCont + Math.ceil(L.pmdCont / cPmd) + L.pudBlocks;
    const run = gate.shared(() =>
      runTlb(pt as PageTableEngine, sc.linear, { config: corePreset(SWEEP_TLB.core).config, workload: SWEEP_TLB.workload, accesses: SWEEP_TLB.accesses, seed: SWEEP_TLB.seed, ranges: mapped }),
    );
    const m = run.metrics;
    const tlb = { l1Mpki: m.mpki[0].value, l2Mpki: m.mpki[1]?.value ?? m.mpki[0].value, walksPerKilo: m.walksPerKilo, refsPerWalk: m.refsPerWalk, cyclesPerAccess: m.cyclesPerAccess };
    const b = sc.boot;
    const ck = b.crashkernel;
    return {
      ...base,
      ok: true,
      granule: g.granule,
      mappedBytes: s.mappedBytes,
      tables: s.tables,
      tableBytes: s.tableBytes,
      tableShare: s.tableBytes / Number(sizeBytes),
      descriptorsWritten: stats.descriptorsWritten,
      coldMs,
      warmMs,
      warmMatches,
      memory,
      directMap,
      directMapLabels: directMapLabels(g.granule),
      tlbEntries,
      tlb,
      pageGranular: (b.flags & NO_BLOCK_MAPPINGS) !== 0,
      reasons: b.reasons,
      crashkernel: ck && ck.size > 0n ? `0x${ck.base.toString(16)}+${formatSize(ck.size)}` : undefined,
      notes: [...(b.failure ? [`after boot: ${b.failure.message}`] : []), ...b.notes],
    };
  } catch (e) {
    return failedPoint(task, e);
  } finally {
    // Freed (and, when the thread may, collected) while no cold build runs: returning a large wasm
    // memory to the system during another thread's cold build slows that build down (gate.ts).
    const done = pt;
    gate.shared(() => {
      const kept = done instanceof WasmPageTable && spares.length < SPARES;
      try {
        giveBack(done);
      } catch {
        // an engine that trapped is already unusable
      }
      if (!kept && heldBytes >= COLLECT_BYTES) (globalThis as { gc?: () => void }).gc?.();
    });
  }
}
