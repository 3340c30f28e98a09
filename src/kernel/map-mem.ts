/**
 * map_mem() (arch/arm64/mm/mmu.c): the flags of the bank loop, the kernel alias (and the KFENCE
 * pool and a carved-out crashkernel) marked NOMAP so that the loop skips them, the loop over
 * for_each_mem_range(), then the ranges left out mapped apart and their NOMAP marks cleared. From
 * 7.2 the text and data/bss aliases are mapped first with the loop's flags, and the loop maps over them.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, pageKernel } from "../descriptor.js";
import { memblockClearNomap, memblockMappable, memblockMarkNomap, rangeMinus } from "../memmap/memblock.js";
import { type BootState, lmAlias } from "./boot-state.js";
import { arm64KfenceAllocPool } from "./kfence.js";
import { reservePgtables } from "./sparse-init.js";

const PAGE_FLAGS = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;

/** The linear map's PAGE_KERNEL (tagged for memory, untagged for the alias), nG under KPTI. */
export function linearProt(s: BootState, tagged: boolean): bigint {
  return pageKernel({ tagged, nG: s.kpti, shared: !s.g.lpa2, dirty: s.input.policy.pageKernelDirty });
}

/** Whether the bank loop maps page by page, and why (s.reasons). */
function bankFlags(s: BootState): number {
  const { policy, cmdline } = s.input;
  let flags = policy.noExec ? NO_EXEC_MAPPINGS : 0;
  const reasons: string[] = [];
  if (s.crashForcesPages) reasons.push(`crashkernel= on the command line (${policy.crash === "force-pages" ? "v5.13-v5.17 rule" : "reservation deferred until the DMA zones are known"})`);
  if (s.rodataFull) {
    const noalias = policy.rodataSyntax === "noalias";
    reasons.unshift(cmdline.rodata === "full" && !noalias ? "rodata=full" : cmdline.rodata === "on"
      ? (noalias ? "rodata=on (rodata_full: only rodata=noalias or off turn it off from 6.18)" : "rodata=on keeps rodata_full on in this release (fixed by acfa60dbe038)")
      : noalias ? "rodata_full by default (6.18+: always, unless rodata=noalias or off)" : "rodata=full by default (CONFIG_RODATA_FULL_DEFAULT_ENABLED)");
  }
  if (s.kfenceLate) {
    reasons.push(policy.kfence === "all-pages"
      ? "CONFIG_KFENCE=y (before the early pool, every KFENCE build maps the linear map page by page)"
      : "KFENCE with sample interval 0: the pool would be allocated late, so can_set_direct_map() is true");
  }
  if (s.debugPagealloc) reasons.push("debug_pagealloc");
  const bbml2 = policy.bbml2 ? (s.input.bbml2 ?? "none") : "none";
  let pages: boolean;
  if (policy.bbml2) {
    // v6.18 force_pte_mapping(): BBML2 on every CPU lets rodata=full and KFENCE keep blocks.
    pages = (bbml2 === "none" && (s.rodataFull || s.kfenceLate)) || s.debugPagealloc;
    if (bbml2 !== "none" && (s.rodataFull || s.kfenceLate) && !s.debugPagealloc) reasons.push("BBML2_NOABORT: blocks kept, split on demand");
  } else {
    pages = s.rodataFull || s.debugPagealloc || s.kfenceLate;
  }
  if (pages || s.crashForcesPages) {
    flags |= PAGE_FLAGS;
    s.reasons.push(...reasons);
  }
  return flags;
}

/** map_mem(): maps the linear map on `s.pt`. */
export function mapMem(s: BootState, kfenceSampleInterval: number): void {
  const { policy, memory } = s.input;
  const { pt } = s;
  // arm64_kfence_alloc_pool(): the first thing map_mem() does (v6.1.65+, v6.4+).
  if (policy.kfence === "early-pool" && s.input.config.kfence) arm64KfenceAllocPool(s, kfenceSampleInterval);
  const poolFirst = s.kfencePool !== undefined && policy.kfencePoolMap === "first";
  if (poolFirst) {
    // 7.2+ arm64_kfence_map_pool(): mapped at once, page by page and non-executable (PXNTable).
    pt.map(lmAlias(s, s.kfencePool!.base), s.kfencePool!.base, s.kfencePool!.size, linearProt(s, true), PAGE_FLAGS | NO_EXEC_MAPPINGS);
    s.steps.push({ what: "arm64_kfence_map_pool(): the KFENCE pool mapped first, page by page (NO_EXEC_MAPPINGS)", range: s.kfencePool });
  }
  s.flags = bankFlags(s);
  const aliasStart = policy.aliasStart === "_text" ? memory.kernel.text : memory.kernel.stext;
  s.alias = { base: aliasStart, size: memory.kernel.initBegin - aliasStart };
  const prot = linearProt(s, true);
  const apart: Array<{ base: bigint; size: bigint }> = [];
  if (policy.aliasMapping === "bank-flags") {
    // 7.2+: the text alias first, with the loop's flags, so that it can be made read-only without
    // splitting the loop's blocks; then the data/bss alias, to be made invalid by mark_rodata_ro().
    pt.map(lmAlias(s, s.alias.base), s.alias.base, s.alias.size, prot, s.flags);
    s.steps.push({ what: `map kernel alias [${policy.aliasStart}, __init_begin) first (pgprot_tagged(PAGE_KERNEL), the bank flags)`, range: s.alias });
    if (policy.dataAlias !== "mapped") {
      s.dataAlias = { base: memory.kernel.initEnd, size: memory.kernel.bssStop - memory.kernel.initEnd };
      pt.map(lmAlias(s, s.dataAlias.base), s.dataAlias.base, s.dataAlias.size, prot, s.flags);
      s.steps.push({ what: "map kernel data/bss alias [__init_end, __bss_stop) (pgprot_tagged(PAGE_KERNEL), the bank flags)", range: s.dataAlias });
    }
  } else {
    // The kernel alias, [_text or _stext, __init_begin), is NOMAP during the loop.
    apart.push(s.alias);
  }
  if (s.kfencePool && !poolFirst) apart.push(s.kfencePool);
  const crashCarved = s.crashkernel !== undefined && s.crashkernel.size > 0n && s.crashEarly;
  if (crashCarved) apart.push({ base: s.crashkernel!.base, size: s.crashkernel!.size });
  for (const r of apart) s.mb = memblockMarkNomap(s.mb, r.base, r.size);

  // for_each_mem_range(): every region without NOMAP.
  const page = s.g.pageSize;
  s.banks = [];
  const premapped = [...(policy.aliasMapping === "bank-flags" ? [s.alias, s.dataAlias] : []), ...(poolFirst ? [s.kfencePool!] : [])]
    .filter((r) => r.size > 0n)
    .sort((a, b) => (a.base < b.base ? -1 : 1));
  for (const b of memblockMappable(s.mb)) {
    let start = b.base;
    let end = b.base + b.size;
    if (policy.pageAlignRanges) {
      start = ((start + page - 1n) / page) * page;
      end = (end / page) * page;
      if (start >= end) continue;
    }
    // 7.2+ maps the bank over the aliases mapped first with the same prot and flags; init_pud() and
    // init_pmd() keep an existing table and alloc_init_cont_pte() adds no CONT over valid non-CONT
    // entries, so that is the same as mapping what the aliases left out, which the engine does.
    for (const r of rangeMinus({ base: start, size: end - start }, premapped)) {
      pt.map(lmAlias(s, r.base), r.base, r.size, prot, s.flags);
      s.banks.push(r);
      s.steps.push({ what: "map memblock range (pgprot_tagged(PAGE_KERNEL))", range: r });
    }
  }
  if (policy.aliasMapping === "apart") {
    // The kernel alias: PAGE_KERNEL, blocks allowed but no CONT, so that it can be made read-only.
    pt.map(lmAlias(s, s.alias.base), s.alias.base, s.alias.size, linearProt(s, false), NO_CONT_MAPPINGS);
    s.steps.push({ what: `map kernel alias [${policy.aliasStart}, __init_begin) (PAGE_KERNEL, NO_CONT_MAPPINGS)`, range: s.alias });
  }
  if (crashCarved) {
    const c = s.crashkernel!;
    pt.map(lmAlias(s, c.base), c.base, c.size, linearProt(s, false), PAGE_FLAGS);
    s.steps.push({ what: "map crashkernel page by page (PAGE_KERNEL, NO_BLOCK|NO_CONT)", range: { base: c.base, size: c.size } });
  }
  if (s.kfencePool && !poolFirst) {
    pt.map(lmAlias(s, s.kfencePool.base), s.kfencePool.base, s.kfencePool.size, prot, PAGE_FLAGS);
    s.steps.push({ what: "map KFENCE pool page by page", range: s.kfencePool });
  }
  // memblock_clear_nomap() of the alias and the pool: they are ordinary memory again.
  for (const r of apart) s.mb = memblockClearNomap(s.mb, r.base, r.size);
  // The tables just built came from memblock, top-down (the PGD is swapper_pg_dir, in the image).
  reservePgtables(s, pt.stats().liveFrames - 1);
}
