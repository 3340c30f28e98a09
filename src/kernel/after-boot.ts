/**
 * What the running kernel does to the linear map after map_mem(), deterministically: v6.18's
 * linear_map_split_to_ptes() when a secondary CPU lacks BBML2, kfence_init_pool(),
 * mark_linear_text_alias_ro(), and, on request, the crash region invalidated (the upstream option
 * of blocks then a split), arch_kexec_protect_crashkres() and a write to kexec_crash_size.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, SET_MEMORY, pageKernelRO } from "../descriptor.js";
import { PgtableError } from "../errors.js";
import { type BootState, changeMode, invalidMasks, lmAlias } from "./boot-state.js";
import { kfenceInitPool } from "./kfence.js";
import { linearProt } from "./map-mem.js";

const PAGE_FLAGS = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;

/**
 * v6.18 without BBML2 on a secondary CPU: linear_map_split_to_ptes() repaints everything but
 * [_stext, __init_begin) to pages, without CONT. The banks become what a page-granular bank loop
 * builds. Not modelled: the kernel also splits the alias's block holding [_text, _stext).
 */
export function linearMapSplitToPtes(s: BootState): void {
  const bbml2 = s.input.policy.bbml2 ? (s.input.bbml2 ?? "none") : "none";
  if (!(bbml2 === "boot" && (s.rodataFull || s.kfenceLate) && (s.flags & NO_BLOCK_MAPPINGS) === 0)) return;
  const prot = linearProt(s, true);
  // 7.2+ maps the data/bss alias apart from the banks; the repaint takes it too (only the text
  // alias is spared).
  for (const b of [...s.banks, ...(s.dataAlias.size > 0n ? [s.dataAlias] : [])]) {
    s.pt.unmap(lmAlias(s, b.base), b.size);
    s.pt.map(lmAlias(s, b.base), b.base, b.size, prot, s.flags | PAGE_FLAGS);
  }
  s.steps.push({ what: "linear_map_split_to_ptes(): a secondary CPU lacks BBML2_NOABORT, all but [_stext, __init_begin) repainted to PTEs" });
}

/** kfence_init() (mm_core_init, after paging_init): the guard pages of the pool are protected. */
export function kfenceInit(s: BootState): void {
  if (!s.kfencePool) return;
  kfenceInitPool(s.pt, lmAlias(s, s.kfencePool.base), s.input.config.kfenceNumObjects, invalidMasks(s));
  s.steps.push({ what: "kfence_init_pool(): the first two pages and each object's guard page lose PTE_VALID", range: s.kfencePool });
}

/** mark_linear_text_alias_ro(): the alias becomes PAGE_KERNEL_RO. */
export function markLinearTextAliasRo(s: BootState): void {
  const prot = pageKernelRO({ nG: s.kpti, shared: !s.g.lpa2, dirty: s.input.policy.pageKernelDirty });
  // 7.2+: update_mapping_prot() passes no flags, but init_pmd() keeps an existing table and
  // alloc_init_cont_pte() adds no CONT over valid non-CONT entries: the alias keeps the layout the
  // bank flags gave it, which mapping with those flags again reproduces.
  const flags = s.input.policy.aliasMapping === "bank-flags" ? s.flags : NO_CONT_MAPPINGS;
  s.pt.map(lmAlias(s, s.alias.base), s.alias.base, s.alias.size, prot, flags);
  s.steps.push({ what: "mark_linear_text_alias_ro() (PAGE_KERNEL_RO)", range: s.alias });
}

/**
 * mark_rodata_ro() (with rodata enabled): 7.2 makes the data/bss alias read-only, 7.3
 * mark_linear_data_alias_valid(false) makes it invalid (set_memory_valid(0): "F … NG" in ptdump).
 */
export function markRodataRo(s: BootState): void {
  const how = s.input.policy.dataAlias;
  if (how === "mapped" || !s.rodataEnabled || s.dataAlias.size === 0n) return;
  const m = how === "invalid" ? invalidMasks(s) : SET_MEMORY.ro;
  s.pt.setMemory(lmAlias(s, s.dataAlias.base), s.dataAlias.size, m.set, m.clear, changeMode(s));
  s.steps.push({
    what: how === "invalid" ? "mark_rodata_ro(): mark_linear_data_alias_valid(false), the data/bss alias invalid" : "mark_rodata_ro(): the data/bss alias read-only",
    range: s.dataAlias,
  });
}

/** Option (1): the crash region, mapped with blocks, is invalidated once reserved; its blocks split as far as its ends need. */
export function invalidateCrashkernelSplitting(s: BootState): void {
  const c = s.crashkernel;
  if (s.input.crashStrategy !== "blocks-then-split" || !c || c.size === 0n) return;
  const m = invalidMasks(s);
  const r = s.pt.setMemory(lmAlias(s, c.base), c.size, m.set, m.clear, "split");
  s.steps.push({ what: `invalidate the crashkernel, splitting blocks: ${r.framesAllocated} table pages allocated, ${r.descriptorsWritten} descriptors written`, range: { base: c.base, size: c.size } });
}

/** A loaded crash kernel: arch_kexec_protect_crashkres() invalidates its pages (until v6.4). Returns the failure, if any. */
export function archKexecProtectCrashkres(s: BootState): PgtableError | undefined {
  const c = s.crashkernel;
  if (!s.input.kexecLoaded || !c || c.size === 0n || !s.input.policy.protectsCrashkres) return undefined;
  try {
    const m = invalidMasks(s);
    s.pt.setMemory(lmAlias(s, c.base), c.size, m.set, m.clear, "classic");
    s.steps.push({ what: "arch_kexec_protect_crashkres(): set_memory_valid(0) over the whole reservation (the kernel does the loaded segments: an upper bound)", range: { base: c.base, size: c.size } });
    return undefined;
  } catch (e) {
    if (!(e instanceof PgtableError)) throw e;
    s.steps.push({ what: `arch_kexec_protect_crashkres() fails: ${e.message}` });
    return e;
  }
}

/** /sys/kernel/kexec_crash_size: crash_shrink_memory() gives the tail back to the page allocator. */
export function crashShrinkMemory(s: BootState): void {
  const c = s.crashkernel;
  const to = s.input.crashShrinkTo;
  if (to === undefined || !c || c.size === 0n) return;
  const page = s.g.pageSize;
  const keep = ((to + page - 1n) / page) * page;
  if (s.input.kexecLoaded) {
    s.notes.push("kexec_crash_size: -ENOENT while a crash kernel is loaded");
  } else if (keep > c.size) {
    s.notes.push(`kexec_crash_size: ${keep} is above the reservation (${c.size}): -EINVAL`);
  } else if (keep === c.size) {
    s.notes.push("kexec_crash_size: the size it already has: nothing to do");
  } else {
    const given = c.size - keep;
    const pageByPage = (s.crashEarly && c.size > 0n) || (s.flags & NO_BLOCK_MAPPINGS) !== 0;
    s.notes.push(`kexec_crash_size: ${given / page} pages (${given >> 20n} MiB) at 0x${(c.base + keep).toString(16)} given back; ` +
      "they are mapped as the crash region was" + (pageByPage ? " (page by page, so they can be freed page by page)" : " (with blocks)"));
    s.crashkernel = { ...c, size: keep };
  }
}
