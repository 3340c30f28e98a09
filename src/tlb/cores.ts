/**
 * Core presets: each core's data-side TLBs as its Technical Reference Manual (TRM) describes them,
 * with the section, and every value the manual does not give marked as an assumption. The TRMs
 * state no replacement policy: every preset assumes LRU. No TRM gives a walk's memory latency:
 * `walkRefCycles` is 20 cycles everywhere, an assumption between an L2-cache hit (about 10
 * cycles on these cores) and a last-level-cache hit (about 30-40); docs/tlb-model.md says why.
 */
import type { TlbConfig } from "./config.js";

/** A preset: the configuration and where each number comes from. */
export interface CorePreset {
  name: string;
  title: string;
  config: TlbConfig;
  /** The manual sections the numbers come from. */
  sources: string[];
  /** Values no manual gives, chosen here. */
  assumptions: string[];
}

const LRU = "lru" as const;
const WALK_REF_CYCLES = 20;
const ALL_WALK_LEVELS = [1, 2, 3, 4];

/** Cortex-A76 and Neoverse N1 share their MMU (N1 TRM 100616_0401 §6.2 reads as A76 TRM 100798 §A5.2). */
function n1Like(l2Entries: number, l2Ways: number): TlbConfig {
  return {
    levels: [
      { name: "L1D", entries: 48, ways: 48, replacement: LRU, sizes: ["4K", "16K", "64K", "2M", "512M"], hitCycles: 0 },
      { name: "L2", entries: l2Entries, ways: l2Ways, replacement: LRU, sizes: ["4K", "16K", "64K", "2M", "32M", "512M", "1G"], hitCycles: 3 },
    ],
    walkCache: { kind: "shared", levels: ALL_WALK_LEVELS },
    walkRefCycles: WALK_REF_CYCLES,
  };
}

const N1_SOURCES = [
  "Arm Neoverse N1 TRM (100616_0401_02_en) §6.2 TLB organization: L1 data TLB 48 entries, fully associative, 4KB/16KB/64KB/2MB/512MB; L2 TLB 1280 entries, 5-way, all sizes, usually 3 cycles",
  "§6.2.3 and §7.6.4 (L2 TLB encoding): the L2 TLB also holds intermediate walk results (walk cache entries); 256 sets x 5 ways",
];
const N1_ASSUMPTIONS = [
  "replacement LRU (not stated)",
  "32M and 1G translations are held in the L1 as 2M and 512M (the TRM says the L2 breaks them down, not into what)",
  "walk-cache entries for every table level, sharing the L2's sets (how many the L2 reserves is not stated)",
  "the L2's coalescing of four adjacent pages into one entry (§7.6.4) is not modelled",
  `${WALK_REF_CYCLES} cycles per walk memory reference`,
];

/** The presets, by name. */
export const CORES: Readonly<Record<string, CorePreset>> = {
  "neoverse-n1": {
    name: "neoverse-n1",
    title: "Arm Neoverse N1 (Ampere Altra, AWS Graviton2)",
    config: n1Like(1280, 5),
    sources: N1_SOURCES,
    assumptions: N1_ASSUMPTIONS,
  },
  "cortex-a76": {
    name: "cortex-a76",
    title: "Arm Cortex-A76",
    config: n1Like(1280, 5),
    sources: ["Arm Cortex-A76 TRM (100798_0300_00_en) §A5.2, §A5.2.2 Data L1 TLB, §A5.2.3 L2 TLB (Table A5-3), Table A6-31 L2 TLB format"],
    assumptions: N1_ASSUMPTIONS,
  },
  "neoverse-n2": {
    name: "neoverse-n2",
    title: "Arm Neoverse N2 (Alibaba Yitian 710)",
    config: n1Like(1536, 6),
    sources: ["Arm Neoverse N2 TRM (102099): L1 data TLB 48 entries fully associative, L2 TLB 1536 entries 6-way (not re-read for this preset: check before relying on it)"],
    assumptions: [...N1_ASSUMPTIONS, "page sizes and walk-cache sharing as on N1 (same lineage)"],
  },
  "neoverse-v1": {
    name: "neoverse-v1",
    title: "Arm Neoverse V1 (AWS Graviton3)",
    config: n1Like(2048, 8),
    sources: ["Arm Neoverse V1 TRM (101427): L1 data TLB 48 entries fully associative, L2 TLB 2048 entries 8-way (not re-read for this preset: check before relying on it)"],
    assumptions: [...N1_ASSUMPTIONS, "page sizes and walk-cache sharing as on N1 (same lineage)"],
  },
  "neoverse-v2": {
    name: "neoverse-v2",
    title: "Arm Neoverse V2 (NVIDIA Grace, AWS Graviton4)",
    config: n1Like(2048, 8),
    sources: ["Arm Neoverse V2 TRM (102375): L1 data TLB 48 entries fully associative, L2 TLB 2048 entries 8-way (not re-read for this preset: check before relying on it)"],
    assumptions: [...N1_ASSUMPTIONS, "page sizes and walk-cache sharing as on N1 (same lineage)"],
  },
  "cortex-a72": {
    name: "cortex-a72",
    title: "Arm Cortex-A72 (AWS Graviton, Raspberry Pi 4)",
    config: {
      levels: [
        { name: "L1D", entries: 32, ways: 32, replacement: LRU, sizes: ["4K", "64K", "1M"], hitCycles: 0 },
        { name: "L2", entries: 1024, ways: 4, replacement: LRU, sizes: ["4K", "64K", "1M", "2M", "16M", "512M", "1G"], hitCycles: 3 },
      ],
      walkCache: { kind: "own", entries: 64, ways: 4, replacement: LRU, levels: [1] },
      walkRefCycles: WALK_REF_CYCLES,
    },
    sources: [
      "Arm Cortex-A72 TRM (100095_0002_04) §5.2.2 L1 data TLB: 32 entries, fully associative, 4KB/64KB/1MB natively",
      "§5.2.3 L2 TLB: 1024 entries, 4-way; 4KB, 64KB, 1MB, 16MB pages, 2MB and 1GB blocks (4K granule), 512MB (64K granule)",
    ],
    assumptions: [
      "replacement LRU (not stated)",
      "L2 hit 3 cycles (the TRM says 'variable')",
      "walk cache 64 entries, 4-way, holding PMD-level entries as the Cortex-A53's does (the TRM lists 'intermediate table walk caches' without a size)",
      "32M translations (CONT PMD) held in the L2 as 16M, which it lists",
      `${WALK_REF_CYCLES} cycles per walk memory reference`,
    ],
  },
  "cortex-a53": {
    name: "cortex-a53",
    title: "Arm Cortex-A53",
    config: {
      levels: [
        { name: "L1D", entries: 10, ways: 10, replacement: LRU, sizes: ["4K", "64K", "2M", "32M", "512M"], hitCycles: 0 },
        { name: "L2", entries: 512, ways: 4, replacement: LRU, sizes: ["4K", "64K", "2M", "32M", "512M"], hitCycles: 3 },
      ],
      walkCache: { kind: "own", entries: 64, ways: 4, replacement: LRU, levels: [1] },
      walkRefCycles: WALK_REF_CYCLES,
    },
    sources: [
      "Arm Cortex-A53 TRM (DDI 0500) §5.1 About the MMU: 10-entry fully associative L1 data micro-TLB, 512-entry 4-way main TLB, 64-entry 4-way walk cache",
      "§5.2.2 Main TLB: all VMSAv8 block sizes except 1GB, which is held as 512MB blocks; §5.2.3 walk cache: the walk up to but not including the last level",
    ],
    assumptions: [
      "replacement LRU (not stated)",
      "the micro-TLB holds the main TLB's sizes (the TRM does not list them)",
      "main TLB hit 3 cycles (the TRM says 'variable')",
      `${WALK_REF_CYCLES} cycles per walk memory reference`,
    ],
  },
};

/** A preset by name; throws a RangeError listing the names. */
export function corePreset(name: string): CorePreset {
  const p = CORES[name];
  if (!p) throw new RangeError(`core: "${name}" is not a preset (${Object.keys(CORES).join(", ")})`);
  return p;
}
