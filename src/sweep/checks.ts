/**
 * The sweep's checks against real machines:
 * (a) 256 GiB: the page-table cost of rodata=full (page-granular) over large mappings, against the
 *     AmpereOne measurement (Yang Shi, LKML 2024-2025: MemTotal 258,988,984 kB with rodata=full,
 *     259,505,132 kB with large mappings);
 * (b) the simulator's nanoseconds per descriptor beside an 8 GB Cortex-A72's map_mem()
 *     (v5.10.42, crashkernel=256M: 142 ms page by page, 0.17 ms with blocks, for 6 GiB).
 */
import { policyFor } from "../kernel/policy.js";
import { parseRelease } from "../kernel/release.js";
import { summarize } from "../report/summary.js";
import { runScenario, type ScenarioInput } from "../scenario.js";
import type { PageTableEngine } from "../types.js";
import { WasmPageTable } from "../wasm/page-table.js";
import { formatSize } from "../units.js";
import { type PointTask, pointScenario, runPoint } from "./point.js";
import type { PointResult } from "./point.js";

const GiB = 1n << 30n;
const MiB2 = 2n << 20n;

/** The AmpereOne measurement. */
export const AMPEREONE = {
  memTotalRodataFullKb: 258_988_984,
  memTotalLargeKb: 259_505_132,
  source: "Yang Shi, LKML (arm64: support large block mapping when rodata=full, 2024-2025), AmpereOne, 256 GiB",
} as const;

/** The Cortex-A72 report. */
export const CORTEX_A72 = {
  kernel: "5.10.42",
  ramBytes: 6n * GiB,
  pagesMs: 142,
  blocksMs: 0.17,
  source: "an 8 GB Cortex-A72 board, v5.10.42 with crashkernel=256M: map_mem() took 142 ms page by page and 0.17 ms with blocks for 6 GiB",
} as const;

/** Result of check (a). */
export interface Check256 {
  ramBytes: number;
  /** Table bytes of the one-bank 256 GiB page-granular map (6.1 rodata=full) and block map (rodata=on). */
  pagesTableBytes: number;
  blocksTableBytes: number;
  pagesTables: { pud: number; pmd: number; pte: number };
  blocksTables: { pud: number; pmd: number; pte: number };
  /** Their difference, kB (1024 bytes, as /proc/meminfo's kB). */
  simulatedDiffKb: number;
  measuredDiffKb: number;
  /** PTE tables alone by arithmetic: RAM / 512. */
  pteArithmeticKb: number;
  /** The page-granular premium per GiB of RAM, kB (512 PTE tables + 1 PMD table at 4K). */
  premiumKbPerGiB: number;
  /** The smallest one-bank RAM (a multiple of 2 MiB) whose simulated difference reaches the measurement. */
  impliedRamBytes: number;
  impliedDiffKb: number;
  /** 256 GiB - impliedRam. */
  missingBytes: number;
  /** struct page array for the implied RAM: 64 bytes per 4 KiB page. */
  memmapBytes: number;
  /** impliedRam - memmap - MemTotal (large mappings): everything else reserved at boot. */
  otherReservedBytes: number;
}

/** Result of check (b). */
export interface CheckNsPerDescriptor {
  ramBytes: number;
  pagesDescriptors: number;
  blocksDescriptors: number;
  a72PagesNsPerDescriptor: number;
  a72BlocksNsPerDescriptor: number;
  simPagesColdNs: number;
  simPagesWarmNs: number;
  simBlocksColdNs: number;
  simBlocksWarmNs: number;
  simPagesColdMs: number;
  simPagesWarmMs: number;
  /** The same page-by-page boot on the dense engine (every table a real page, every descriptor stored). */
  densePagesColdNs: number;
  densePagesWarmNs: number;
  densePagesColdMs: number;
}

const oneBank = (size: bigint, policy: string): PointTask => ({ layout: "one-bank", policy, size: size.toString() });

/** Table bytes (below the PGD) of a one-bank 6.1 boot: `policy` "pages" or "blocks". */
function tableBytes(size: bigint, policy: string): number {
  const sc = runScenario(pointScenario(oneBank(size, policy)));
  try {
    const s = summarize(sc.pt, sc.linear.start, sc.linear.end);
    return s.tableBytes;
  } finally {
    sc.pt.dispose();
  }
}

/** Check (a). */
export function check256(): Check256 {
  const ram = 256n * GiB;
  const pages = runPoint(oneBank(ram, "pages"));
  const blocks = runPoint(oneBank(ram, "blocks"));
  if (!pages.ok || !blocks.ok) throw new Error(`256 GiB check: ${pages.error?.message ?? blocks.error?.message}`);
  const measuredDiffKb = AMPEREONE.memTotalLargeKb - AMPEREONE.memTotalRodataFullKb;
  const diffKb = (size: bigint) => (tableBytes(size, "pages") - tableBytes(size, "blocks")) / 1024;
  // Smallest k (RAM = k * 2 MiB) whose difference reaches the measurement; the difference grows with k.
  let lo = GiB / MiB2;
  let hi = ram / MiB2;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (diffKb(mid * MiB2) >= measuredDiffKb) hi = mid;
    else lo = mid + 1n;
  }
  const implied = lo * MiB2;
  const memmap = (implied / 4096n) * 64n;
  return {
    ramBytes: Number(ram),
    pagesTableBytes: pages.tableBytes,
    blocksTableBytes: blocks.tableBytes,
    pagesTables: pages.tables,
    blocksTables: blocks.tables,
    simulatedDiffKb: (pages.tableBytes - blocks.tableBytes) / 1024,
    measuredDiffKb,
    pteArithmeticKb: Number(ram / 512n / 1024n),
    premiumKbPerGiB: (512 + 1) * 4,
    impliedRamBytes: Number(implied),
    impliedDiffKb: diffKb(implied),
    missingBytes: Number(ram - implied),
    memmapBytes: Number(memmap),
    otherReservedBytes: Number(implied - memmap) - AMPEREONE.memTotalLargeKb * 1024,
  };
}

/**
 * Check (b). The A72's kernel is modelled as one 6 GiB bank booted by 5.10.42: page by page with
 * rodata=full, with blocks with rodata=on (the 0.17 ms cannot include a 256 MiB crash region mapped
 * page by page, 65,536 more descriptors, so the block case is taken without it).
 */
export function checkNsPerDescriptor(): CheckNsPerDescriptor {
  const pagesTask: PointTask = { layout: "one-bank", policy: "pages", size: CORTEX_A72.ramBytes.toString() };
  const inputPages = { ...pointScenario(pagesTask), kernel: CORTEX_A72.kernel, cmdline: "rodata=full" };
  const inputBlocks = { ...pointScenario(pagesTask), kernel: CORTEX_A72.kernel, cmdline: "rodata=on" };
  // Median of 15 boots: cold on a new table from `make` (its creation timed too), warm after reset().
  const time = (input: ScenarioInput, make?: () => PageTableEngine) => {
    const cold: number[] = [];
    const warm: number[] = [];
    let descriptors = 0;
    for (let i = 0; i < 15; i++) {
      let t0 = performance.now();
      const sc = runScenario(make ? { ...input, pageTable: make() } : input);
      cold.push(performance.now() - t0);
      descriptors = sc.pt.stats().descriptorsWritten;
      sc.pt.reset();
      t0 = performance.now();
      runScenario({ ...input, pageTable: sc.pt });
      warm.push(performance.now() - t0);
      sc.pt.dispose();
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    return { cold: median(cold), warm: median(warm), descriptors };
  };
  const p = time(inputPages);
  const b = time(inputBlocks);
  const pol = policyFor(parseRelease(CORTEX_A72.kernel));
  const d = time(inputPages, () => new WasmPageTable({ granule: 4, vaBits: 48, tableAttrs: pol.tableAttrs, safeRule: pol.safeRule, implicitLeaves: false }));
  if (d.descriptors !== p.descriptors) throw new Error(`dense engine wrote ${d.descriptors} descriptors, implicit ${p.descriptors}`);
  return {
    ramBytes: Number(CORTEX_A72.ramBytes),
    pagesDescriptors: p.descriptors,
    blocksDescriptors: b.descriptors,
    a72PagesNsPerDescriptor: (CORTEX_A72.pagesMs * 1e6) / p.descriptors,
    a72BlocksNsPerDescriptor: (CORTEX_A72.blocksMs * 1e6) / b.descriptors,
    simPagesColdNs: (p.cold * 1e6) / p.descriptors,
    simPagesWarmNs: (p.warm * 1e6) / p.descriptors,
    simBlocksColdNs: (b.cold * 1e6) / b.descriptors,
    simBlocksWarmNs: (b.warm * 1e6) / b.descriptors,
    simPagesColdMs: p.cold,
    simPagesWarmMs: p.warm,
    densePagesColdNs: (d.cold * 1e6) / d.descriptors,
    densePagesWarmNs: (d.warm * 1e6) / d.descriptors,
    densePagesColdMs: d.cold,
  };
}

/** The sweep's own ns per descriptor: median over successful page-granular points of at least `min` bytes. */
export function sweepNsPerDescriptor(points: readonly PointResult[], min = 1n << 40n): { cold: number; warm: number; n: number } | undefined {
  const sel = points.filter((p) => p.ok && p.pageGranular && BigInt(p.sizeBytes) >= min && p.descriptorsWritten > 0);
  if (sel.length === 0) return undefined;
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return {
    cold: median(sel.map((p) => (p.coldMs * 1e6) / p.descriptorsWritten)),
    warm: median(sel.map((p) => (p.warmMs * 1e6) / p.descriptorsWritten)),
    n: sel.length,
  };
}

/** "251 GiB + 578 MiB" for the report. */
export function describeSize(bytes: number): string {
  const b = BigInt(bytes);
  const g = b / GiB;
  const m = (b % GiB) >> 20n;
  return m === 0n ? `${g} GiB` : `${g} GiB + ${m} MiB (${formatSize(b)})`;
}
