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
  /** `_PAGE_KERNEL` carries PTE_DIRTY (source: 6.1, 6.12 have it; 5.10 does not). */
  pageKernelDirty: boolean;
  /** crashkernel=X,high and ,low are understood (v5.19 944a45abfabc). */
  crashHighLow: boolean;
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

/** The rules of `release`. */
export function policyFor(r: KernelRelease): KernelPolicy {
  const v = (...x: number[]) => atLeast(r, ...x);
  const is510 = r.major === 5 && r.minor === 10;
  let crash: CrashPolicy;
  let line: string;
  let evidence: string;
  if (v(6, 4)) {
    crash = "none";
    line = v(6, 18) ? "6.18" : v(6, 12) ? "6.12" : "6.4";
    evidence = v(6, 18) ? "source: v6.18 mmu.c (AOSC-Tracking/linux)" : v(6, 12) ? "source: Debian linux-source-6.12 (6.12.117)" : "commit: 0d124e96051b, 04a2a7af3d97";
  } else if (v(5, 18)) {
    crash = "defer-if-dma";
    line = v(6, 1) ? "6.1" : "5.18";
    evidence = v(6, 1) ? "source: Debian linux-source-6.1 (6.1.192)" : "commit: 031495635b46";
  } else if (is510) {
    // 5.10.47 took 2687275a5843 and later the DMA-zone condition of 031495635b46 (as in 5.10.223).
    crash = r.patch !== undefined && r.patch < 47 ? "carve-out" : "defer-if-dma";
    line = crash === "carve-out" ? "5.10" : "5.10.47";
    evidence = crash === "carve-out" ? "commit: before 0a30c53573b0 / 2687275a5843" : "source: Debian linux-source-5.10 (5.10.223)";
  } else {
    crash = "force-pages";
    line = v(5, 15) ? "5.15" : "5.11";
    evidence = "commit: 0a30c53573b0, 2687275a5843";
  }
  const kfence: KfencePolicy = !v(5, 12) ? "absent" : v(6, 1) ? "early-pool" : "all-pages";
  return {
    release: r,
    line,
    crash,
    kfence,
    aliasStart: is510 || v(6, 12) ? "_text" : "_stext",
    noExec: v(5, 13),
    tableAttrs: !v(5, 13) ? 0n : v(6, 18) ? PMD_TABLE_UXN | PMD_TABLE_AF : PMD_TABLE_UXN,
    pageKernelDirty: !is510,
    crashHighLow: v(5, 19),
    safeRule: v(6, 12) ? "v6.12" : "v6.1",
    pageAlignRanges: v(6, 12),
    protectsCrashkres: !v(6, 4),
    bbml2: v(6, 18),
    evidence,
  };
}
