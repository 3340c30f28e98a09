/**
 * What map_mem() (arch/arm64/mm/mmu.c) of a release does: the per-version rules the boot model
 * follows, evaluated from the one table of rules in src/kernel/rules.ts (each rule with its upstream
 * commit; `rulesFor()` says which rule decided each field).
 */
import type { SafeRule } from "../types.js";
import type { KernelRelease } from "./release.js";
import { type CrashPolicy, type KfencePolicy, ruleValues } from "./rules.js";

export type { CrashPolicy, KfencePolicy } from "./rules.js";

/** The rules of one release. */
export interface KernelPolicy {
  release: KernelRelease;
  /** The line whose rules these are, e.g. "6.1". */
  line: string;
  crash: CrashPolicy;
  kfence: KfencePolicy;
  /** Start of the kernel alias mapped apart: `_text` or `_stext` (up to __init_begin). */
  aliasStart: "_text" | "_stext";
  /** The linear map is mapped with NO_EXEC_MAPPINGS (v5.13 87143f404f33). */
  noExec: boolean;
  /** Attributes of new table descriptors: UXNTable since v5.13, AF too since v6.13. */
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
  /** Each memblock range is rounded to whole pages before mapping (source: 6.12.117). */
  pageAlignRanges: boolean;
  /** arch_kexec_protect_crashkres() invalidates the loaded crash kernel's pages (removed in v6.4). */
  protectsCrashkres: boolean;
  /** BBML2_NOABORT split on demand and force_pte_mapping() (v6.18 a166563e7ec3). */
  bbml2: boolean;
  /** What rodata= means ("noalias": 7.x, rodata_full on unless rodata=noalias or off). */
  rodataSyntax: "full" | "noalias";
  /** How map_mem() maps the kernel text alias. */
  aliasMapping: "apart" | "bank-flags";
  /** [__init_end, __bss_stop) is mapped apart and made invalid by mark_rodata_ro(). */
  dataAliasInvalid: boolean;
  /** set_memory_valid(0) sets nG (PTE_PRESENT_INVALID). */
  invalidNg: boolean;
  /** KASLR moves the linear map. */
  linearKaslr: boolean;
  /** The CMA area's alignment rule. */
  cmaAlign: "max-order" | "pageblock";
  /** SECTION_SIZE_BITS. */
  sectionSizeBits: "30" | "27-29";
  /** sparse_init() before the CMA area (before 7.x). */
  sparseBeforeCma: boolean;
  /** Where the rules were read. */
  evidence: string;
}

/** The releases whose source was read in full. */
const READ: Array<[number, number, number, string]> = [
  [5, 10, 223, "Debian linux-source-5.10"],
  [6, 1, 192, "Debian linux-source-6.1"],
  [6, 12, 117, "Debian linux-source-6.12"],
  [7, 3, 4, "Debian linux-source-7.3"],
];

/**
 * The rules of `release`. A bare line (6.1) stands for its latest stable release. Stable lines took
 * backports that mainline releases of the same number lack, so a rule can depend on the patch level
 * (6.1.65, 6.12.117, …); see src/kernel/rules.ts and docs/kernel-models.md.
 */
export function policyFor(r: KernelRelease): KernelPolicy {
  const v = ruleValues(r);
  const read = READ.find(([ma, mi, pa]) => r.major === ma && r.minor === mi && (r.patch === undefined || r.patch === pa));
  let evidence = read
    ? `source: ${read[3]} (${read[0]}.${read[1]}.${read[2]})${r.patch === undefined ? ", the line's latest stable" : ""}`
    : "extrapolated from the sources read and the commits of src/kernel/rules.ts";
  if (r.note) evidence += `; ${r.note}`;
  return {
    release: r,
    line: `${r.major}.${r.minor}`,
    crash: v.crash,
    kfence: v.kfence,
    aliasStart: v.aliasStart,
    noExec: v.noExec,
    tableAttrs: v.tableAttrs,
    pageKernelDirty: v.pageKernelDirty,
    crashHighLow: v.crashHighLow,
    rodataOnHonoured: v.rodataOnHonoured,
    crashDefaults62: v.crashDefaults62,
    safeRule: v.safeRule,
    pageAlignRanges: v.pageAlignRanges,
    protectsCrashkres: v.protectsCrashkres,
    bbml2: v.bbml2,
    rodataSyntax: v.rodataSyntax,
    aliasMapping: v.aliasMapping,
    dataAliasInvalid: v.dataAliasInvalid,
    invalidNg: v.invalidNg,
    linearKaslr: v.linearKaslr,
    cmaAlign: v.cmaAlign,
    sectionSizeBits: v.sectionSizeBits,
    sparseBeforeCma: v.sparseBeforeCma,
    evidence,
  };
}
