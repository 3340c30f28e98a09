/**
 * map_mem() (arch/arm64/mm/mmu.c): the flags of the bank loop, the kernel alias (and the KFENCE
 * pool and a carved-out crashkernel) marked NOMAP so that the loop skips them, the loop over
 * for_each_mem_range(), then the ranges left out mapped apart and their NOMAP marks cleared.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, pageKernel } from "../descriptor.js";
import { memblockClearNomap, memblockMappable, memblockMarkNomap } from "../memmap/memblock.js";
import { type BootState, lmAlias } from "./boot-state.js";
import { arm64KfenceAllocPool } from "./kfence.js";

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
    reasons.unshift(cmdline.rodata === "full" ? "rodata=full" : cmdline.rodata === "on"
      ? "rodata=on keeps rodata_full on in this release (fixed by acfa60dbe038)"
      : "rodata=full by default (CONFIG_RODATA_FULL_DEFAULT_ENABLED)");
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
  s.flags = bankFlags(s);
  // The kernel alias, [_text or _stext, __init_begin), is NOMAP during the loop.
  const aliasStart = policy.aliasStart === "_text" ? memory.kernel.text : memory.kernel.stext;
  s.alias = { base: aliasStart, size: memory.kernel.initBegin - aliasStart };
  const apart = [s.alias];
  if (s.kfencePool) apart.push(s.kfencePool);
  const crashCarved = s.crashkernel !== undefined && s.crashkernel.size > 0n && s.crashEarly;
  if (crashCarved) apart.push({ base: s.crashkernel!.base, size: s.crashkernel!.size });
  for (const r of apart) s.mb = memblockMarkNomap(s.mb, r.base, r.size);

  // for_each_mem_range(): every region without NOMAP.
  const page = s.g.pageSize;
  s.banks = [];
  const prot = linearProt(s, true);
  for (const b of memblockMappable(s.mb)) {
    let start = b.base;
    let end = b.base + b.size;
    if (policy.pageAlignRanges) {
      start = ((start + page - 1n) / page) * page;
      end = (end / page) * page;
      if (start >= end) continue;
    }
    pt.map(lmAlias(s, start), start, end - start, prot, s.flags);
    s.banks.push({ base: start, size: end - start });
    s.steps.push({ what: "map memblock range (pgprot_tagged(PAGE_KERNEL))", range: { base: start, size: end - start } });
  }
  // The kernel alias: PAGE_KERNEL, blocks allowed but no CONT, so that it can be made read-only.
  pt.map(lmAlias(s, s.alias.base), s.alias.base, s.alias.size, linearProt(s, false), NO_CONT_MAPPINGS);
  s.steps.push({ what: `map kernel alias [${policy.aliasStart}, __init_begin) (PAGE_KERNEL, NO_CONT_MAPPINGS)`, range: s.alias });
  if (crashCarved) {
    const c = s.crashkernel!;
    pt.map(lmAlias(s, c.base), c.base, c.size, linearProt(s, false), PAGE_FLAGS);
    s.steps.push({ what: "map crashkernel page by page (PAGE_KERNEL, NO_BLOCK|NO_CONT)", range: { base: c.base, size: c.size } });
  }
  if (s.kfencePool) {
    pt.map(lmAlias(s, s.kfencePool.base), s.kfencePool.base, s.kfencePool.size, prot, PAGE_FLAGS);
    s.steps.push({ what: "map KFENCE pool page by page", range: s.kfencePool });
  }
  // memblock_clear_nomap() of the alias and the pool: they are ordinary memory again.
  for (const r of apart) s.mb = memblockClearNomap(s.mb, r.base, r.size);
}
