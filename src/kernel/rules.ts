/**
 * The per-release rules of the arm64 linear map, as one table. Every "what does release X do"
 * question of the project (the boot model's policy, the ptdump flavour, the sweep's labels, the
 * docs, `explain`) is answered by evaluating this table; nothing else parses releases for rules.
 *
 * Each rule sets one field to one value from a mainline release on, and on the stable lines that
 * took it earlier as a backport (at a patch level). For a release, the value of a field is the value
 * of the last rule of that field (in table order, which is mainline order) that applies to it. A
 * bare line (6.1) stands for its latest stable release, so every backport of that line applies.
 *
 * Commit subjects were checked against mailing-list archives (stable review mails, maintainers'
 * "Applied" replies, linux-next merge reports); where no commit or subject could be checked the rule
 * says so. A backport's patch level is "exact" when it was read from a release; otherwise the note of
 * the backport says how it was inferred.
 */
import { PMD_TABLE_AF, PMD_TABLE_UXN } from "../descriptor.js";
import type { PtdumpFlavour } from "../ptdump/flavour.js";
import type { SafeRule } from "../types.js";
import type { KernelRelease } from "./release.js";

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

/** The value type of every field a rule can set. */
export interface RuleValues {
  /** How crashkernel= meets the linear map. */
  crash: CrashPolicy;
  /** How KFENCE meets the linear map. */
  kfence: KfencePolicy;
  /** Start of the kernel alias mapped apart by map_mem() (up to __init_begin). */
  aliasStart: "_text" | "_stext";
  /** The linear map is mapped with NO_EXEC_MAPPINGS. */
  noExec: boolean;
  /** Attributes of new kernel table descriptors. */
  tableAttrs: bigint;
  /** `_PAGE_KERNEL` carries PTE_DIRTY. */
  pageKernelDirty: boolean;
  /** crashkernel=X,high and ,low are understood. */
  crashHighLow: boolean;
  /** rodata=on turns rodata_full off when RODATA_FULL_DEFAULT_ENABLED=y. */
  rodataOnHonoured: boolean;
  /** ,high without ,low takes a default low part; crashkernel=X falls back above the DMA zones. */
  crashDefaults62: boolean;
  /** pgattr_change_is_safe() flavour. */
  safeRule: SafeRule;
  /** map_mem() rounds each memblock range inward to whole pages. */
  pageAlignRanges: boolean;
  /** arch_kexec_protect_crashkres() invalidates the loaded crash kernel's pages. */
  protectsCrashkres: boolean;
  /** BBML2_NOABORT split on demand and force_pte_mapping(). */
  bbml2: boolean;
  /** The kernel_page_tables output format (src/ptdump/flavour.ts). */
  ptdumpFlavour: PtdumpFlavour;
  /**
   * What rodata= means: "full" (on, off, full; the default from CONFIG_RODATA_FULL_DEFAULT_ENABLED)
   * or "noalias" (rodata_full on by default and with rodata=on; rodata=noalias keeps it off; full is
   * no longer an arm64 value).
   */
  rodataSyntax: "full" | "noalias";
  /**
   * How map_mem() maps the kernel text alias: "apart" (NOMAP during the bank loop, then PAGE_KERNEL
   * with NO_CONT_MAPPINGS: blocks where aligned) or "bank-flags" (first, with the bank loop's flags and
   * pgprot_tagged(PAGE_KERNEL)).
   */
  aliasMapping: "apart" | "bank-flags";
  /**
   * What mark_rodata_ro() does to the kernel's data/bss alias [__init_end, __bss_stop): "mapped"
   * (nothing: it is ordinary memory), "read-only" (set_memory_ro()) or "invalid" (set_memory_valid(0)).
   */
  dataAlias: "mapped" | "read-only" | "invalid";
  /** set_memory_valid(0) sets PTE_PRESENT_INVALID (nG) as it clears PTE_VALID: ptdump shows "F … NG". */
  invalidNg: boolean;
  /** KASLR moves the linear map (memstart_addr lowered by a random multiple of ARM64_MEMSTART_ALIGN). */
  linearKaslr: boolean;
  /**
   * The CMA area's alignment: "max-order" (PAGE_SIZE << max(MAX_ORDER - 1, pageblock_order): 4 MiB
   * with 4K pages) or "pageblock" (CMA_MIN_ALIGNMENT_BYTES: one PMD with HUGETLB_PAGE, 2 MiB with 4K).
   */
  cmaAlign: "max-order" | "pageblock";
  /**
   * How map_mem() maps an early KFENCE pool: "nomap-last" (NOMAP during the bank loop, mapped after
   * it without NO_EXEC_MAPPINGS) or "first" (arm64_kfence_map_pool(): before anything else, with it).
   */
  kfencePoolMap: "nomap-last" | "first";
  /** SECTION_SIZE_BITS: "30" (1 GiB sections) or "27-29" (128 MiB with 4K and 16K pages, 512 MiB with 64K). */
  sectionSizeBits: "30" | "27-29";
  /** sparse_init() runs in bootmem_init() before the CMA area and the crashkernel (moved after them in 7.x). */
  sparseBeforeCma: boolean;
}

/** A field a rule sets. */
export type RuleField = keyof RuleValues;

/** Every field, in the order the docs list them. */
export const RULE_FIELDS: readonly RuleField[] = [
  "crash", "kfence", "aliasStart", "noExec", "tableAttrs", "pageKernelDirty", "crashHighLow", "rodataOnHonoured",
  "crashDefaults62", "safeRule", "pageAlignRanges", "protectsCrashkres", "bbml2", "ptdumpFlavour",
  "rodataSyntax", "aliasMapping", "dataAlias", "invalidNg", "linearKaslr", "kfencePoolMap", "cmaAlign", "sectionSizeBits", "sparseBeforeCma",
];

/** A stable line that took a rule before (or without) its mainline release. */
export interface Backport {
  /** The stable line, [major, minor]. */
  line: readonly [number, number];
  /** First patch level with the rule; undefined when only the line's latest stable is known to have it. */
  patch: number | undefined;
  /** The patch level was read from a release (else: inferred, see `how`). */
  exact: boolean;
  /** Where the patch level comes from. */
  how: string;
}

/** One rule of the table. */
export interface KernelRule<F extends RuleField = RuleField> {
  field: F;
  value: RuleValues[F];
  /** First mainline release with the rule, [major, minor]; undefined when no modelled mainline release has it. */
  mainline: readonly [number, number] | undefined;
  backports: readonly Backport[];
  /** Upstream commit, 12 hex digits; undefined for the v5.10 baseline or a change whose commit is not identified. */
  commit: string | undefined;
  /** The commit's subject line as checked, "(subject not verified)", or undefined when there is no commit. */
  subject: string | undefined;
  /** What the rule does, one line. */
  note: string;
}

/** A backport: "6.1.65" (exact), "6.1.65?" (inferred, with `how`), "6.6" (only the latest stable known). */
function bp(spec: string, how: string): Backport {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(\?)?$/.exec(spec);
  if (!m) throw new Error(`rules: bad backport ${spec}`);
  return { line: [Number(m[1]), Number(m[2])], patch: m[3] === undefined ? undefined : Number(m[3]), exact: m[3] !== undefined && !m[4], how };
}

function rule<F extends RuleField>(
  field: F, value: RuleValues[F], mainline: string | undefined, commit: string | undefined, subject: string | undefined,
  note: string, backports: Backport[] = [],
): KernelRule<F> {
  const m = mainline === undefined ? undefined : (mainline.split(".").map(Number) as unknown as [number, number]);
  return { field, value, mainline: m, backports, commit, subject, note };
}

const BASE = "v5.10";
const SRC_61 = "source: Debian 6.1.192";
const SRC_612 = "source: Debian 6.12.117";
const SRC_73 = "source: Debian 7.3.4";

/** The table. Within a field, rules are in mainline order; backport-only rules come last. */
export const RULES: readonly KernelRule[] = [
  // crashkernel= and the linear map.
  rule("crash", "carve-out", "5.10", undefined, undefined,
    `${BASE}: reserve_crashkernel() in arm64_memblock_init() below 4 GiB, NOMAP during the bank loop, then mapped page by page`),
  rule("crash", "late-blocks", "5.11", "0a30c53573b0", "arm64: mm: Move reserve_crashkernel() into mem_init()",
    "the reservation waits for the DMA zone limits, after map_mem(): the linear map keeps its blocks",
    [bp("5.10.22?", "the model's earlier review of the 5.10 stable history; not re-checked")]),
  rule("crash", "force-pages", "5.13", "2687275a5843", "arm64: Force NO_BLOCK_MAPPINGS if crashkernel reservation is required",
    "any crashkernel= on the command line maps the whole linear map page by page, so the late reservation can be unmapped",
    [bp("5.10.47?", "the model's earlier review of the 5.10 stable history; not re-checked")]),
  rule("crash", "defer-if-dma", "5.18", "031495635b46", "arm64: Do not defer reserve_crashkernel() for platforms with no DMA memory zones",
    "page-granular only when ZONE_DMA or ZONE_DMA32 is configured (reservation deferred); otherwise reserved early and carved out",
    [
      bp("5.10.110?", "queued for 5.10 on 2022-04-05 (source 5.10.223 has it); the first patch level is inferred"),
      bp("5.15.33?", "in the stable queue of 2022-04-02, listed in 5.15.32 to 5.15.34; the first patch level is inferred"),
      bp("5.16.19?", "in the stable queue of 2022-04-02; the first patch level is inferred"),
      bp("5.17.2?", "in the stable queue of 2022-04-02; the first patch level is inferred"),
    ]),
  rule("crash", "none", "6.4", "04a2a7af3d97", "arm64: kdump: do not map crashkernel region specifically",
    "map_mem() no longer treats the crashkernel region apart: it does not touch the linear map"),
  rule("crash", "none", "6.4", "504cae453f82", "arm64: kdump: defer the crashkernel reservation for platforms with no DMA memory zones",
    "the reservation is always made after map_mem(), with or without DMA zones"),

  // KFENCE.
  rule("kfence", "absent", "5.10", undefined, undefined, `${BASE}: no KFENCE on arm64`),
  rule("kfence", "all-pages", "5.12", "840b23986344", "arm64, kfence: enable KFENCE for ARM64",
    "CONFIG_KFENCE=y makes can_set_direct_map() true: the whole linear map page by page"),
  rule("kfence", "early-pool", "6.4", "bfa7965b33ab", "mm,kfence: decouple kfence from page granularity mapping judgement",
    "a non-zero sample interval allocates the pool before map_mem(), carved out and mapped page by page; interval 0 keeps the whole map page-granular",
    [bp("6.1.65?", `in the 6.1 stable queue of 2023-11-30 (${SRC_61} has it)`)]),

  // The kernel alias map_mem() maps apart.
  rule("aliasStart", "_text", "5.10", undefined, undefined, `${BASE}: the alias [_text, __init_begin) is mapped apart`),
  rule("aliasStart", "_stext", "5.11", "e2a073dde921", "arm64: omit [_text, _stext) from permanent kernel mapping",
    "the alias starts at _stext"),
  rule("aliasStart", "_text", "6.18", "5973a62efa34", "arm64: map [_text, _stext) virtual address range non-executable+read-only",
    "the alias starts at _text again",
    [
      bp("6.12.117?", `${SRC_612} has it; the first 6.12 patch level with it is not known`),
      bp("6.17", "in the 6.17 stable review of 2025-10-17; the patch level is not known"),
    ]),

  // Execute-never and table attributes.
  rule("noExec", false, "5.10", undefined, undefined, `${BASE}: no NO_EXEC_MAPPINGS`),
  rule("noExec", true, "5.13", "87143f404f33", "arm64: mm: use XN table mapping attributes for the linear region",
    "map_mem() passes NO_EXEC_MAPPINGS"),
  rule("tableAttrs", 0n, "5.10", undefined, undefined, `${BASE}: table descriptors carry no attributes`),
  rule("tableAttrs", PMD_TABLE_UXN, "5.13", "87143f404f33", "arm64: mm: use XN table mapping attributes for the linear region",
    "kernel table descriptors carry UXNTable (and PXNTable with NO_EXEC_MAPPINGS)"),
  rule("tableAttrs", PMD_TABLE_UXN | PMD_TABLE_AF, "6.13", "efe72541355d", "arm64: Add support for FEAT_HAFT",
    "kernel table descriptors also carry AF (the table-level access flag of FEAT_HAFT)"),

  // PTE_DIRTY in PAGE_KERNEL.
  rule("pageKernelDirty", false, "5.4", "aa57157be69f", "arm64: Ensure VM_WRITE|VM_SHARED ptes are clean by default",
    "_PAGE_KERNEL lost PTE_DIRTY"),
  rule("pageKernelDirty", true, undefined, "c25c4aa3f79a", "arm64: mm: Add PTE_DIRTY back to PAGE_KERNEL* to fix kexec/hibernation",
    "_PAGE_KERNEL carries PTE_DIRTY again (mainline after v6.18; stable backports in 2026)",
    [
      bp("6.1.192?", `${SRC_61} has it; the first patch level is not known`),
      bp("6.12.117?", `${SRC_612} has it; the first patch level is not known`),
      bp("5.15", "the latest 5.15 stable; the patch level is not known"),
      bp("6.6", "the latest 6.6 stable; the patch level is not known"),
      bp("6.18", "the latest 6.18 stable; the patch level is not known"),
    ]),

  // crashkernel= syntax.
  rule("crashHighLow", false, "5.10", undefined, undefined, `${BASE}: crashkernel=X,high and ,low are not understood`),
  rule("crashHighLow", true, "5.19", "944a45abfabc", "arm64: kdump: Reimplement crashkernel=X",
    "crashkernel=X,high and crashkernel=Y,low are understood"),
  rule("crashDefaults62", false, "5.10", undefined, undefined, `${BASE}: no default low part, no fallback above the DMA zones`),
  rule("crashDefaults62", true, "6.2", "a149cf00b158", "arm64: kdump: Provide default size when crashkernel=Y,low is not specified",
    "crashkernel=X,high without ,low reserves a default 128 MiB low part"),
  rule("crashDefaults62", true, "6.2", "a9ae89df7377", "arm64: kdump: Support crashkernel=X fall back to reserve region above DMA zones",
    "crashkernel=X falls back above the DMA zones when they are full"),

  // rodata=on.
  rule("rodataOnHonoured", true, "5.10", undefined, undefined, `${BASE}: rodata=on turns rodata_full off`),
  rule("rodataOnHonoured", false, "6.0", "2e8cff0a0eee", "arm64: fix rodata=full",
    "rodata=on leaves rodata_full at its default (on with RODATA_FULL_DEFAULT_ENABLED=y)"),
  rule("rodataOnHonoured", false, "6.1", "2081b3bd0c11", "arm64: fix rodata=full again",
    "can_set_direct_map() tests rodata_enabled && rodata_full: rodata=on still keeps rodata_full (also in 6.0.y)"),
  rule("rodataOnHonoured", true, "6.7", "acfa60dbe038", 'arm64: mm: Fix "rodata=on" when CONFIG_RODATA_FULL_DEFAULT_ENABLED=y',
    "rodata=on turns rodata_full off again",
    [
      bp("6.1.65?", `in the 6.1 stable queue of 2023-11-30 with bfa7965b33ab (${SRC_61} has it)`),
      bp("6.6.4?", "in the 6.6 stable queue of 2023-11-30; the first patch level is inferred"),
    ]),

  // pgattr_change_is_safe().
  rule("safeRule", "v6.1", "5.10", undefined, undefined,
    "pgattr_change_is_safe() as in the 5.10.223 and 6.1.192 sources: only 0 on one side is safe, software bits may not change"),
  rule("safeRule", "v6.12", "6.12", "895a37028a48", "arm64: mm: Permit PTE SW bits to change in live mappings",
    `${SRC_612}: an invalid entry on either side is safe and software bits may change; the commit came in v6.10 and the ` +
      "invalid-side change's commit is not identified, so the model switches at 6.12, the first release read"),
  rule("safeRule", "v7.3", "7.2", "05c5c31e9d8d", "(subject not verified)",
    `live contiguous entries may change: the check that refused them is gone ("Permit contiguous descriptors to be manipulated", ` +
      `seen without its prefix; release inferred; ${SRC_73})`),

  // Rounding of memblock ranges.
  rule("pageAlignRanges", false, "5.10", undefined, undefined, `${BASE}: each memblock range is mapped as it is`),
  rule("pageAlignRanges", true, undefined, undefined, undefined,
    `${SRC_612}: map_mem() rounds each range inward to whole pages; the commit (a stable or distribution fix) is not identified`,
    [bp("6.12.117?", `${SRC_612} has it; the first patch level is not known`)]),

  // arch_kexec_protect_crashkres().
  rule("protectsCrashkres", true, "5.10", undefined, undefined,
    `${BASE}: arch_kexec_protect_crashkres() invalidates a loaded crash kernel's pages`),
  rule("protectsCrashkres", false, "6.4", "0d124e96051b", "arm64: kdump : take off the protection on crashkernel memory region",
    "arch_kexec_protect_crashkres() is gone"),

  // BBML2_NOABORT.
  rule("bbml2", false, "5.10", undefined, undefined, `${BASE}: no split of live block mappings`),
  rule("bbml2", true, "6.18", "a166563e7ec3", "arm64: mm: support large block mapping when rodata=full",
    "with BBML2_NOABORT on every CPU, rodata=full and KFENCE keep blocks (force_pte_mapping()); linear_map_split_to_ptes() otherwise"),
  rule("bbml2", true, "6.18", "a660194dd101", "arm64: Enable permission change on arm64 kernel block mappings",
    "set_memory_*() splits blocks on demand"),

  // ptdump output.
  rule("ptdumpFlavour", "5.10", "5.10", undefined, undefined,
    "source 5.10.223: ptdump_walk() leaves st.level at 0 (no \"Linear Mapping start\" line), DEVICE/GRE memory type row"),
  rule("ptdumpFlavour", "6.1", "6.1", undefined, undefined,
    `${SRC_61}: the reference layout; the commits between 5.10 and 6.1 that changed it are not identified, so 5.11-6.0 use the 5.10 flavour`),
  rule("ptdumpFlavour", "6.12", "6.12", "55564814a838", "arm64/mm: Move PTE_PRESENT_INVALID to overlay PTE_NG",
    `${SRC_612}: an invalid entry with nG set is present, so an invalid block is printed (this commit, v6.10); level names always PUD/PMD ` +
      "(commit not identified); the model switches at 6.12, the first release read"),
  rule("ptdumpFlavour", "6.15", "6.15", "f5e93819e2cc", "arm64/ptdump: Test PMD_TYPE_MASK for block mapping",
    "the BLK column tests PMD_TYPE_MASK == PMD_TYPE_SECT"),

  // rodata= and what the linear map does with the kernel image (6.18-7.x). Releases marked
  // "inferred" were read off the date the commit reached the arm64 (or mm) for-next branch, not a tag.
  rule("rodataSyntax", "full", "5.10", undefined, undefined,
    `${BASE}: rodata=on|off|full, the default from CONFIG_RODATA_FULL_DEFAULT_ENABLED`),
  rule("rodataSyntax", "noalias", "6.18", "c0f303d7d472", "arm64: mm: Rework the 'rodata=' options",
    "rodata=on means full, rodata=noalias keeps the linear alias writable, full is no longer an arm64 value"),
  rule("rodataSyntax", "noalias", "6.18", "bfbbb0d3215f", "arm64/Kconfig: Remove CONFIG_RODATA_FULL_DEFAULT_ENABLED",
    "rodata_full is on unless rodata=noalias or off, whatever the configuration"),
  rule("aliasMapping", "apart", "5.10", undefined, undefined,
    `${BASE}: the text alias is NOMAP during the bank loop, then mapped with PAGE_KERNEL and NO_CONT_MAPPINGS`),
  rule("aliasMapping", "bank-flags", "7.2", "d672a4b72c95", "arm64: mm: Don't abuse memblock NOMAP to check for overlaps",
    `the text alias [_text, __init_begin) is mapped first, with the bank loop's flags and pgprot_tagged(PAGE_KERNEL); with ` +
      `a64293e993f6 and ecda73ae92ca ("Preserve existing table mappings" / "non-contiguous descriptors when mapping DRAM") the loop ` +
      `maps over it (release inferred; ${SRC_73})`),
  rule("dataAlias", "mapped", "5.10", undefined, undefined, `${BASE}: the kernel's data and bss stay mapped in the linear map`),
  rule("dataAlias", "read-only", "7.2", "f2ba877402e5", "arm64: mm: Map the kernel data/bss read-only in the linear map",
    "[__init_end, __bss_stop) is made read-only once rodata is (36fa5ffa6034 defers it to mark_rodata_ro()); from the " +
      "subjects: 7.2's source was not read (release inferred)"),
  rule("dataAlias", "invalid", "7.3", "fb0f3ef5601a", "arm64: mm: Unmap kernel data/bss entirely from the linear map",
    `[__init_end, __bss_stop) is mapped apart and mark_rodata_ro() makes it invalid (mark_linear_data_alias_valid(false)); ` +
      `the first version was reverted within 7.2 (release inferred; ${SRC_73})`),
  rule("invalidNg", false, "5.10", undefined, undefined, `${BASE}: set_memory_valid(0) clears PTE_VALID only`),
  rule("invalidNg", true, "7.1", "15bfba1ad77f", "arm64: mm: Handle invalid large leaf mappings correctly",
    "set_memory_valid(0) also sets PTE_PRESENT_INVALID (the nG bit), so KFENCE guards and the data alias print \"F … NG\" (release inferred)",
    [
      bp("6.18.24", "the 6.18.24 release diff adds PTE_PRESENT_VALID_KERNEL"),
      bp("7.0.1", "the 7.0.1 release diff adds PTE_PRESENT_VALID_KERNEL"),
    ]),
  rule("linearKaslr", true, "5.10", undefined, undefined, `${BASE}: KASLR lowers memstart_addr by a random multiple of ARM64_MEMSTART_ALIGN`),
  rule("linearKaslr", false, "6.16", "1db780bafa4c", "arm64/mm: Remove randomization of the linear map",
    "arm64_memblock_init() no longer randomises the linear region; KASLR moves the kernel image only (release inferred)"),
  rule("kfencePoolMap", "nomap-last", "5.10", undefined, undefined,
    `${BASE}: an early pool (6.1.65+, 6.4+) is NOMAP during the bank loop, then mapped page by page without NO_EXEC_MAPPINGS`),
  rule("kfencePoolMap", "first", "7.2", "dfd73e574d38", "arm64: kfence: Avoid NOMAP tricks when mapping the early pool",
    `arm64_kfence_map_pool() maps the pool before anything else, page by page with NO_EXEC_MAPPINGS (release inferred; ${SRC_73})`),
  rule("cmaAlign", "max-order", "5.10", undefined, undefined,
    `${BASE}: dma_contiguous_reserve_area() aligns to PAGE_SIZE << max(MAX_ORDER - 1, pageblock_order)`),
  rule("cmaAlign", "pageblock", "6.1", undefined, undefined,
    `${SRC_61}: cma_declare_contiguous_nid() aligns to CMA_MIN_ALIGNMENT_BYTES (pageblock_nr_pages); the commit between 5.10 and ` +
      "6.1 is not identified, so the model switches at 6.1, the first release read after 5.10"),
  rule("sectionSizeBits", "30", "5.10", undefined, undefined, `${BASE}: SECTION_SIZE_BITS 30 for every page size`),
  rule("sectionSizeBits", "27-29", "6.1", undefined, undefined,
    `${SRC_61}: SECTION_SIZE_BITS 27 with 4K and 16K pages, 29 with 64K; the commit between 5.10 and 6.1 is not identified, ` +
      "so the model switches at 6.1, the first release read after 5.10"),
  rule("sparseBeforeCma", true, "5.10", undefined, undefined, `${BASE}: bootmem_init() runs sparse_init() before dma_contiguous_reserve()`),
  rule("sparseBeforeCma", false, "7.0", "4267739cabb8", "arch, mm: consolidate initialization of SPARSE memory model",
    "sparse_init() runs in mm_core_init_early(), after bootmem_init()'s CMA area and crashkernel (release inferred)"),
];

/** Orders [major, minor] pairs. */
function cmpLine(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

type Rel = Pick<KernelRelease, "major" | "minor" | "patch">;

/** How a rule applies to a release: "mainline", a backport, or not at all. */
export function ruleApplies(r: KernelRule, rel: Rel): { how: "mainline" } | { how: "backport"; backport: Backport } | undefined {
  if (r.mainline && cmpLine([rel.major, rel.minor], r.mainline) >= 0) return { how: "mainline" };
  for (const b of r.backports) {
    if (rel.major !== b.line[0] || rel.minor !== b.line[1]) continue;
    if (rel.patch === undefined || (b.patch !== undefined && rel.patch >= b.patch)) return { how: "backport", backport: b };
  }
  return undefined;
}

/** Every rule of `field` that applies to `rel`, in table order: the last one decides the value. */
export function ruleHistory<F extends RuleField>(rel: Rel, field: F): Array<KernelRule<F>> {
  return RULES.filter((r): r is KernelRule<F> => r.field === field && ruleApplies(r, rel) !== undefined);
}

/** The value of one field for `rel`. */
export function ruleValue<F extends RuleField>(rel: Rel, field: F): RuleValues[F] {
  const h = ruleHistory(rel, field);
  if (h.length === 0) throw new Error(`rules: no rule of ${field} applies to ${rel.major}.${rel.minor}`);
  return h[h.length - 1].value;
}

/** Every field's value for `rel`. */
export function ruleValues(rel: Rel): RuleValues {
  const out: Partial<Record<RuleField, unknown>> = {};
  for (const f of RULE_FIELDS) out[f] = ruleValue(rel, f);
  return out as RuleValues;
}

/** Why a field of a release has its value: the deciding rule. */
export interface RuleReason {
  field: RuleField;
  value: RuleValues[RuleField];
  /** The value as the docs and `explain` print it. */
  valueText: string;
  commit: string | undefined;
  subject: string | undefined;
  note: string;
  /** How the rule reaches the release: "mainline 6.4", "backport 6.1.65", "baseline 5.10". */
  via: string;
}

/**
 * Which rule made each field of `rel` what it is, with its commit and subject: one entry per field
 * (the last applicable rule of that field), in RULE_FIELDS order.
 */
export function rulesFor(rel: Rel): RuleReason[] {
  return RULE_FIELDS.map((field) => {
    const h = ruleHistory(rel, field);
    const r = h[h.length - 1];
    const a = ruleApplies(r, rel)!;
    const via = a.how === "mainline"
      ? mainlineVia(r)
      : `backport ${a.backport.line.join(".")}${a.backport.patch === undefined ? " (latest stable)" : `.${a.backport.patch}`}${a.backport.exact ? "" : `; ${a.backport.how}`}`;
    return { field, value: r.value, valueText: formatRuleValue(field, r.value), commit: r.commit, subject: r.subject, note: r.note, via };
  });
}

/** "mainline 6.4" (with a commit), "baseline 5.10" (the release the model starts from), or "mainline 7.0, commit not identified". */
export function mainlineVia(r: KernelRule): string {
  const at = r.mainline!.join(".");
  if (r.commit) return `mainline ${at}`;
  return r.mainline![0] === 5 && r.mainline![1] === 10 ? `baseline ${at}` : `mainline ${at}, commit not identified`;
}

/** A field's value as text: table attributes by name, booleans as yes/no. */
export function formatRuleValue(field: RuleField, v: RuleValues[RuleField]): string {
  if (field === "tableAttrs") {
    const names = [(v as bigint) & PMD_TABLE_UXN ? "UXNTable" : "", (v as bigint) & PMD_TABLE_AF ? "AF" : ""].filter(Boolean);
    return names.length ? names.join(" + ") : "none";
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/** The modelled lines, oldest first. */
export function modelledLines(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let mi = 10; mi <= 19; mi++) out.push([5, mi]);
  for (let mi = 0; mi <= 18; mi++) out.push([6, mi]);
  return out;
}

/**
 * The mainline releases (X.Y.0) on which `field` has `value`, as spans: "5.13–5.17", "6.4–6.18".
 */
export function mainlineSpans<F extends RuleField>(field: F, value: RuleValues[F]): string {
  const spans: string[] = [];
  let start: string | undefined;
  let prev: string | undefined;
  for (const [ma, mi] of modelledLines()) {
    const name = `${ma}.${mi}`;
    if (ruleValue({ major: ma, minor: mi, patch: 0 }, field) === value) {
      start ??= name;
      prev = name;
    } else if (start !== undefined) {
      spans.push(start === prev ? start : `${start}–${prev}`);
      start = undefined;
    }
  }
  if (start !== undefined) spans.push(start === prev ? start : `${start}–${prev}`);
  return spans.join(", ");
}

const esc = (s: string) => s.replaceAll("|", "\\|");

/** The rules as a markdown table, one row per rule. */
export function rulesTableMarkdown(): string {
  const rows = ["| field | value | mainline | stable backports | commit | subject | what |", "|---|---|---|---|---|---|---|"];
  for (const r of RULES) {
    const bps = r.backports.map((b) => `${b.line.join(".")}${b.patch === undefined ? " (latest)" : `.${b.patch}`}${b.exact ? "" : "*"}`).join(", ");
    rows.push(`| ${r.field} | ${esc(formatRuleValue(r.field, r.value))} | ${r.mainline ? r.mainline.join(".") : "-"} | ${bps || "-"} | ` +
      `${r.commit ?? "-"} | ${r.subject ? esc(r.subject) : "-"} | ${esc(r.note)} |`);
  }
  return rows.join("\n");
}

/**
 * Every modelled line's values: the mainline release (X.Y.0), and after a slash the line's latest
 * stable release where its backports change a value.
 */
export function linesTableMarkdown(): string {
  const head = `| line | ${RULE_FIELDS.join(" | ")} |`;
  const rows = [head, `|${"---|".repeat(RULE_FIELDS.length + 1)}`];
  for (const [ma, mi] of modelledLines()) {
    const cells = RULE_FIELDS.map((f) => {
      const m = formatRuleValue(f, ruleValue({ major: ma, minor: mi, patch: 0 }, f));
      const s = formatRuleValue(f, ruleValue({ major: ma, minor: mi, patch: undefined }, f));
      return m === s ? m : `${m} / ${s}`;
    });
    rows.push(`| ${ma}.${mi} | ${cells.map(esc).join(" | ")} |`);
  }
  return rows.join("\n");
}

/** The markers around the generated section of docs/kernel-models.md. */
export const RULES_DOC_BEGIN = "<!-- rules:begin: generated from src/kernel/rules.ts by rulesMarkdown(); do not edit by hand -->";
export const RULES_DOC_END = "<!-- rules:end -->";

/** The generated section of docs/kernel-models.md, markers included. */
export function rulesMarkdown(): string {
  return [
    RULES_DOC_BEGIN,
    "",
    `${RULES.length} rules. For a release, a field's value is the value of its last rule (in this order) that applies: ` +
      "a rule applies from its mainline release on, and on a stable line from the patch level of its backport. " +
      "A bare line (`--kernel 6.1`) stands for its latest stable release, so every backport of the line applies. " +
      "`*`: the first patch level was inferred (from a stable queue's date or a source read), not read from a release.",
    "",
    rulesTableMarkdown(),
    "",
    "Each line's values: the mainline release (X.Y.0), then, after a slash, its latest stable release where a backport changes them.",
    "",
    linesTableMarkdown(),
    "",
    RULES_DOC_END,
  ].join("\n");
}

/** Replaces the generated section of a docs text (from "<!-- rules:begin" to the end marker) with `rulesMarkdown()`; throws if the markers are missing. */
export function withRulesSection(doc: string): string {
  const a = doc.indexOf("<!-- rules:begin");
  const b = doc.indexOf(RULES_DOC_END);
  if (a < 0 || b < a) throw new Error("docs: the rules markers are missing");
  return doc.slice(0, a) + rulesMarkdown() + doc.slice(b + RULES_DOC_END.length);
}
