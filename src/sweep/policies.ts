/**
 * The sweep's policies: each is a scenario (kernel release, command line, build configuration,
 * crashkernel strategy, BBML2) that decides how the linear map is built.
 */
import type { Bbml2, CrashStrategy } from "../kernel/boot.js";
import { DEFAULT_CONFIG, type KernelConfig } from "../kernel/config.js";

/** One policy of the sweep. */
export interface SweepPolicy {
  /** Short name (CLI, CSV, plots). */
  name: string;
  /** What it is, for the reports. */
  title: string;
  kernel: string;
  cmdline: string;
  /** Changes to arm64 defconfig's values. */
  config: Partial<KernelConfig>;
  crashStrategy?: CrashStrategy;
  bbml2?: Bbml2;
  /** Whether the bulk of memory is expected page by page (used only to order the work). */
  pageGranular: boolean;
}

/** The policies, in report order. */
export const POLICIES: readonly SweepPolicy[] = [
  { name: "blocks", title: "blocks + CONT (6.1, rodata=on)", kernel: "6.1", cmdline: "rodata=on", config: {}, pageGranular: false },
  { name: "pages", title: "page-granular (6.1, rodata=full by default)", kernel: "6.1", cmdline: "", config: {}, pageGranular: true },
  {
    name: "crash-5.15",
    title: "crashkernel= on 5.11-6.3 (5.15, rodata=on crashkernel=256M: whole map page-granular)",
    kernel: "5.15",
    cmdline: "rodata=on crashkernel=256M",
    config: {},
    pageGranular: true,
  },
  {
    name: "debug-pagealloc",
    title: "debug_pagealloc (6.1, CONFIG_DEBUG_PAGEALLOC=y, rodata=on debug_pagealloc=on)",
    kernel: "6.1",
    cmdline: "rodata=on debug_pagealloc=on",
    config: { debugPagealloc: true },
    pageGranular: true,
  },
  {
    // The issue named 5.10.40. The boot model (src/kernel/policy.ts) puts 5.10.22-5.10.46 in the
    // "late-blocks" class (0a30c53573b0 backported without 2687275a5843: the reservation comes after
    // the linear map, which keeps its blocks); the early carve-out is 5.10.0-5.10.21.
    name: "carveout-5.10",
    title: "v5.10 carve-out (5.10.21, rodata=on crashkernel=256M: only the crash region page by page)",
    kernel: "5.10.21",
    cmdline: "rodata=on crashkernel=256M",
    config: {},
    pageGranular: false,
  },
  {
    name: "crash-split",
    title: "option (1): blocks, then split around the crash region (6.1, rodata=on crashkernel=256M, blocks-then-split)",
    kernel: "6.1",
    cmdline: "rodata=on crashkernel=256M",
    config: {},
    crashStrategy: "blocks-then-split",
    pageGranular: false,
  },
  {
    name: "bbml2-6.18",
    title: "v6.18 with BBML2_NOABORT on all CPUs (rodata=full keeps blocks; split on demand)",
    kernel: "6.18",
    cmdline: "rodata=full",
    config: {},
    bbml2: "all",
    pageGranular: false,
  },
  { name: "pages-16k", title: "page-granular, 16K pages (6.1, rodata=full, 48-bit VA)", kernel: "6.1", cmdline: "", config: { granule: 16, vaBits: 48 }, pageGranular: true },
  { name: "pages-64k", title: "page-granular, 64K pages (6.1, rodata=full, 48-bit VA)", kernel: "6.1", cmdline: "", config: { granule: 64, vaBits: 48 }, pageGranular: true },
];

/** The policy named `name`; throws a RangeError listing the names. */
export function policyByName(name: string): SweepPolicy {
  const p = POLICIES.find((x) => x.name === name);
  if (!p) throw new RangeError(`policy ${name}: not one of ${POLICIES.map((x) => x.name).join(", ")}`);
  return p;
}

/** The full configuration of a policy. */
export function policyConfig(p: SweepPolicy): KernelConfig {
  return { ...DEFAULT_CONFIG, ...p.config };
}
