/**
 * What map_mem() (arch/arm64/mm/mmu.c) of a release does: the per-version rules the boot model
 * follows. Lines read in full from Debian's linux-source packages are marked "source"; the others
 * follow the upstream commits named, and are marked "commit".
 */
import { PMD_TABLE_AF, PMD_TABLE_UXN } from "../descriptor.js";
import type { SafeRule } from "../types.js";
import { type KernelRelease, atLeast } from "./release.js";

/** How a crashkernel= reservation shapes the linear map. */
export type CrashPolicy =
  /** The reservation is known before map_mem(): NOMAP during the bank loop, then mapped page by page. */
  | "carve-out"
  /** crashkernel= on the command line makes the whole linear map page-granular. */
  | "force-pages"
  /** Page-granular if ZONE_DMA or ZONE_DMA32 is configured (reservation deferred), else carve-out. */
  | "defer-if-dma"
  /** Reserved in mem_init(), after the linear map, which keeps its blocks (5.11, 5.12, 5.10.22-46). */
  | "late-blocks"
  /** The reservation does not affect the linear map (v6.4+). */
  | "none";

/** How KFENCE shapes the linear map. */
export type KfencePolicy =
  /** No KFENCE on arm64 (before v5.12). */
  | "absent"
  /** CONFIG_KFENCE=y makes the whole linear map page-granular (v5.12 840b23986344). */
  | "all-pages"
  /** A non-zero sample interval allocates the pool early, carved out and mapped page by page; zero
   * leaves can_set_direct_map() true, so the whole map is page-granular (arm64_kfence_alloc_pool). */
  | "early-pool";

/** The rules of one release. */
export interface KernelPolicy {
  release: KernelRelease;
  /** A short name of the rule set, e.g. "6.1". */
  line: string;
  crash: CrashPolicy;
  kfence: KfencePolicy;
  /** Start of the kernel alias mapped apart: `_text` or `_stext` (up to __init_begin). */
  aliasStart: "_text" | "_stext";
  /** The linear map is mapped with NO_EXEC_MAPPINGS (v5.13 87143f404f33). */
  noExec: boolean;
  /** Attributes of new table descriptors: UXNTable since v5.13, AF too in v6.18. */
  tableAttrs: bigint;
  /** `_PAGE_KERNEL` carries PTE_DIRTY. */
  pageKernelDirty: boolean;
  /** crashkernel=X,high and ,low are understood (v5.19 944a45abfabc). */
  crashHighLow: boolean;
  /** rodata=on turns rodata_full off (not so in 6.0-6.6 before acfa60dbe038 and its backports). */
  rodataOnHonoured: boolean;
  /** v6.2+: ,high without ,low takes 128 MiB low; crashkernel=X falls back above the DMA zones. */
  crashDefaults62: boolean;
  /** pgattr_change_is_safe() flavour. */
  safeRule: SafeRule;
  /** Each memblock range is rounded to whole pages before mapping (source: 6.12). */
  pageAlignRanges: boolean;
  /** arch_kexec_protect_crashkres() invalidates the loaded crash kernel's pages (removed in v6.4). */
  protectsCrashkres: boolean;
  /** BBML2_NOABORT split on demand and force_pte_mapping() (v6.18 a660194dd101). */
  bbml2: boolean;
  /** Where the rules were read. */
  evidence: string;
}

/** Whether `r` is on line major.minor at stable patch `patch` or later; a bare line counts as its latest stable. */
function onLineFrom(r: KernelRelease, major: number, minor: number, patch: number): boolean {
  return r.major === major && r.minor === minor && (r.patch === undefined || r.patch >= patch);
}

/** The releases whose source was read in full. */
const READ: Array<[number, number, number, string]> = [
  [5, 10, 223, "Debian linux-source-5.10"],
  [6, 1, 192, "Debian linux-source-6.1"],
  [6, 12, 117, "Debian linux-source-6.12"],
];

/**
 * The rules of `release`. A bare line (6.1) stands for its latest stable release. Stable lines took
 * backports that mainline releases of the same number lack, so the boundaries below name patch
 * levels where the backport is known (6.1.65, 6.12.117, …); see docs/kernel-models.md.
 */
export function policyFor(r: KernelRelease): KernelPolicy {
  const v = (...x: number[]) => atLeast(r, ...x);
  const is510 = r.major === 5 && r.minor === 10;
  let crash: CrashPolicy;
  let line: string;
  if (v(6, 4)) {
    crash = "none"; // 0d124e96051b, 04a2a7af3d97, 504cae453f82
    line = v(6, 18) ? "6.18" : v(6, 12) ? "6.12" : "6.4";
  } else if (v(5, 18)) {
    crash = "defer-if-dma"; // 031495635b46
    line = v(6, 1) ? "6.1" : "5.18";
  } else if (v(5, 13)) {
    crash = "force-pages"; // 2687275a5843
    line = v(5, 15) ? "5.15" : "5.13";
  } else if (is510 && r.patch !== undefined && r.patch < 22) {
    crash = "carve-out"; // before 0a30c53573b0 reached 5.10.22
    line = "5.10";
  } else if (!is510 || (r.patch !== undefined && r.patch < 47)) {
    crash = "late-blocks"; // 0a30c53573b0 without 2687275a5843: 5.11, 5.12, 5.10.22-46
    line = is510 ? "5.10.22" : "5.11";
  } else {
    crash = "defer-if-dma"; // 5.10.47 took 2687275a5843, later the DMA-zone condition (as 5.10.223)
    line = "5.10.47";
  }
  const read = READ.find(([ma, mi, pa]) => r.major === ma && r.minor === mi && (r.patch === undefined || r.patch === pa));
  const evidence = read
    ? `source: ${read[3]} (${read[0]}.${read[1]}.${read[2]})${r.patch === undefined ? ", the line's latest stable" : ""}`
    : "extrapolated from the sources read and the commits named in docs/kernel-models.md";
  // The KFENCE early pool: v6.4, backported to 6.1.65.
  const kfence: KfencePolicy = !v(5, 12) ? "absent" : v(6, 4) || onLineFrom(r, 6, 1, 65) ? "early-pool" : "all-pages";
  return {
    release: r,
    line,
    crash,
    kfence,
    // 5.10 maps from _text; e2a073dde921 moved it to _stext; 5973a62efa34 (v6.18, 6.12.117) back.
    aliasStart: is510 || v(6, 18) || onLineFrom(r, 6, 12, 117) ? "_text" : "_stext",
    noExec: v(5, 13),
    // UXNTable since 87143f404f33 (v5.13); AF on kernel tables since efe72541355d (v6.13, inferred).
    tableAttrs: !v(5, 13) ? 0n : v(6, 13) ? PMD_TABLE_UXN | PMD_TABLE_AF : PMD_TABLE_UXN,
    // PTE_DIRTY left _PAGE_KERNEL in v5.4 (aa57157be69f) and came back in c25c4aa3f79a (Dec 2025),
    // backported to the stable lines in 2026: known in 6.1.192 and 6.12.117.
    pageKernelDirty: onLineFrom(r, 6, 1, 192) || onLineFrom(r, 6, 12, 117) || (r.patch === undefined && [[5, 15], [6, 6], [6, 18]].some(([a, b]) => r.major === a && r.minor === b)),
    crashHighLow: v(5, 19),
    // 2e8cff0a0eee / 2081b3bd0c11 (6.0, 6.1): rodata=on kept rodata_full with the default on, until
    // acfa60dbe038 (v6.7, backported to 6.1.65 and 6.6.y).
    rodataOnHonoured: !v(6, 0) || v(6, 7) || onLineFrom(r, 6, 1, 65) || (r.major === 6 && r.minor === 6 && r.patch === undefined),
    // The default ,low part and the fallback above the DMA zones: a149cf00b158, a9ae89df7377 (v6.2).
    crashDefaults62: v(6, 2),
    safeRule: v(6, 12) ? "v6.12" : "v6.1",
    // The rounding of memblock ranges to pages is a 6.12.117 stable fix.
    pageAlignRanges: onLineFrom(r, 6, 12, 117),
    protectsCrashkres: !v(6, 4),
    bbml2: v(6, 18),
    evidence,
  };
}
