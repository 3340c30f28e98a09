/**
 * The sweep's policies: each is a scenario (kernel release, command line, build configuration,
 * crashkernel strategy, BBML2) that decides how the linear map is built.
 */
import type { Bbml2, CrashStrategy } from "../kernel/boot.js";
import { DEFAULT_CONFIG, type KernelConfig } from "../kernel/config.js";
import { RULES, mainlineSpans } from "../kernel/rules.js";

/**
 * The last patch level of stable line `major.minor` before the backport of the rule with `commit`
 * reached it (5.10.21 for 0a30c53573b0): a release that still has the previous rule.
 */
function lastPatchBefore(commit: string, major: number, minor: number): string {
  const b = RULES.find((r) => r.commit === commit)?.backports.find((x) => x.line[0] === major && x.line[1] === minor);
  if (!b || b.patch === undefined || b.patch === 0) throw new Error(`sweep: no backport of ${commit} to ${major}.${minor} with a patch level`);
  return `${major}.${minor}.${b.patch - 1}`;
}

/** crashkernel= makes the whole map page-granular (2687275a5843) on these mainline releases. */
const FORCE_PAGES = mainlineSpans("crash", "force-pages");
/** A 5.15 stable release before 031495635b46 reached the line: the force-pages rule. */
const CRASH_515 = lastPatchBefore("031495635b46", 5, 15);
/** The last 5.10 stable release before 0a30c53573b0 reached it: the v5.10 carve-out. */
const CARVEOUT_510 = lastPatchBefore("0a30c53573b0", 5, 10);
/** The first mainline release with BBML2_NOABORT split on demand. */
const BBML2_FROM = mainlineSpans("bbml2", true).split(/[–,]/)[0];

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
    title: `crashkernel= on ${FORCE_PAGES} (${CRASH_515}, rodata=on crashkernel=256M: whole map page-granular)`,
    kernel: CRASH_515,
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
    // The rules (src/kernel/rules.ts) put 5.10.22 and later 5.10 releases in other classes
    // (0a30c53573b0 backported: the reservation comes after the linear map); the early carve-out is
    // 5.10.0 up to the release before that backport.
    name: "carveout-5.10",
    title: `v5.10 carve-out (${CARVEOUT_510}, rodata=on crashkernel=256M: only the crash region page by page)`,
    kernel: CARVEOUT_510,
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
    // 6.18 knows no rodata=full any more (c0f303d7d472): rodata_full is its default.
    title: `v${BBML2_FROM} with BBML2_NOABORT on all CPUs (rodata_full, the default, keeps blocks; split on demand)`,
    kernel: BBML2_FROM,
    cmdline: "",
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
