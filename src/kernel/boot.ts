/**
 * The linear map a kernel builds at boot: map_mem() of a release, with its build configuration and
 * command line, over a machine's memory, followed by what deterministically happens after boot
 * (mark_linear_text_alias_ro, and arch_kexec_protect_crashkres when a crash kernel is loaded).
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, SET_MEMORY, pageKernel, pageKernelRO } from "../descriptor.js";
import { PgtableError } from "../errors.js";
import { type Geometry, geometry } from "../geometry.js";
import type { PageTableEngine, PageTableOptions } from "../types.js";
import type { Cmdline } from "./cmdline.js";
import type { KernelConfig } from "./config.js";
import { type CrashkernelReservation, parseCrashkernel, reserveCrashkernel, subtract } from "./crashkernel.js";
import { findFreeTopDown, type Range } from "./memblock-alloc.js";
import type { KernelPolicy } from "./policy.js";

/** The machine's memory as memblock sees it before map_mem(). */
export interface BootMemory {
  /** memblock.memory, sorted; `nomap` regions are firmware's MEMBLOCK_NOMAP. */
  memory: Array<Range & { nomap: boolean }>;
  /** memblock.reserved known before map_mem() (firmware, DT /reserved-memory without no-map, kernel). */
  reserved: Range[];
  /** The kernel image: `_text`, `_stext`, `__init_begin` and `_end` (physical). */
  kernel: { text: bigint; stext: bigint; initBegin: bigint; end: bigint };
  /** ZONE_DMA's address bits from firmware (DT dma-ranges, IORT): 32, or 30 on a Raspberry Pi 4. */
  zoneDmaBits: number;
}

/** What the BBML2_NOABORT feature looks like on the machine (v6.18). */
export type Bbml2 = "all" | "boot" | "none";

/** Everything that decides the linear map. */
export interface BootInput {
  policy: KernelPolicy;
  config: KernelConfig;
  cmdline: Cmdline;
  memory: BootMemory;
  /** v6.18: which CPUs have BBML2_NOABORT (default "none"). */
  bbml2?: Bbml2;
  /** A crash kernel is loaded (kexec -p), so arch_kexec_protect_crashkres() runs. */
  kexecLoaded?: boolean;
}

/** One step of the boot, for the log. */
export interface BootStep {
  what: string;
  /** Physical range, when the step maps or changes one. */
  range?: Range;
}

/** What the boot did and decided. */
export interface BootResult {
  geometry: Geometry;
  /** memstart_addr: the PA that PAGE_OFFSET maps. */
  memstart: bigint;
  /** The flags the memblock banks were mapped with. */
  flags: number;
  /** Why those flags. */
  reasons: string[];
  crashkernel: CrashkernelReservation | undefined;
  kfencePool: Range | undefined;
  steps: BootStep[];
  /** The failure a post-boot step met (e.g. protecting a crashkernel mapped with blocks). */
  failure: PgtableError | undefined;
}

const SZ_1G = 1n << 30n;

/** ARM64_MEMSTART_ALIGN for the configurations the boot model runs (4K pages, 4 levels: 1 GiB). */
function memstartAlign(g: Geometry): bigint {
  // kernel-pgtable.h: ARM64_MEMSTART_SHIFT is PUD_SHIFT with 4K pages and 4 levels, CONT_PMD_SHIFT
  // with 16K and PMD_SHIFT with 64K (v6.1); at least 1 GiB... kept to the 4K case here.
  if (g.granule === 4) return SZ_1G;
  return g.granule === 16 ? 32n << 20n : 512n << 20n;
}

/** max_zone_phys(): the top of a DMA zone of `bits` address bits (arch/arm64/mm/init.c). */
export function maxZonePhys(bits: number, startOfDram: bigint, endOfDram: bigint): bigint {
  const u32Max = 0xffff_ffffn;
  let zoneMask = (1n << BigInt(bits)) - 1n;
  if (startOfDram > u32Max) zoneMask = (1n << 64n) - 1n;
  else if (startOfDram > zoneMask) zoneMask = u32Max;
  return (zoneMask < endOfDram - 1n ? zoneMask : endOfDram - 1n) + 1n;
}

/** Runs the boot on `pt` (a fresh engine of the config's geometry). */
export function bootLinearMap(input: BootInput, make: (o: PageTableOptions) => PageTableEngine): { pt: PageTableEngine; result: BootResult } {
  const { policy, config, cmdline, memory } = input;
  const g = geometry(config.granule, config.vaBits);
  const pt = make({ granule: config.granule, vaBits: config.vaBits, tableAttrs: policy.tableAttrs, safeRule: policy.safeRule });
  const steps: BootStep[] = [];
  const reasons: string[] = [];
  const mem = memory.memory;
  const startOfDram = mem[0].base;
  const endOfDram = mem[mem.length - 1].base + mem[mem.length - 1].size;
  const memstart = (startOfDram / memstartAlign(g)) * memstartAlign(g);
  const va = (pa: bigint) => pa - memstart + g.ttbr1Base;
  const systemRam = mem.reduce((s, m) => s + m.size, 0n); // memblock_phys_mem_size()

  // Command line over configuration.
  const rodataFull = cmdline.rodata === undefined ? config.rodataFullDefault : cmdline.rodata === "full";
  const debugPagealloc = config.debugPagealloc && (cmdline.debugPagealloc ?? config.debugPageallocDefault);
  const kpti = config.unmapKernelAtEl0 && (cmdline.kpti ?? false);
  const kfenceInterval = cmdline.kfenceSampleInterval ?? config.kfenceSampleInterval;
  const nG = kpti;
  const shared = !g.lpa2;
  const dirty = policy.pageKernelDirty;
  const linearProt = pageKernel({ tagged: true, nG, shared, dirty });
  const kernelProt = pageKernel({ tagged: false, nG, shared, dirty });

  // Free memory for early allocations: memory without NOMAP, without what is reserved.
  let free: Range[] = mem.filter((m) => !m.nomap).map((m) => ({ base: m.base, size: m.size }));
  const reserve = (r: Range) => {
    free = free.flatMap((f) => subtract(f, r));
  };
  for (const r of memory.reserved) reserve(r);
  reserve({ base: memory.kernel.text, size: memory.kernel.end - memory.kernel.text });
  const nomap: Range[] = mem.filter((m) => m.nomap).map((m) => ({ base: m.base, size: m.size }));

  // crashkernel=: reserved before map_mem() (carve-out) or after it (deferred).
  const dmaConfigured = config.zoneDma || config.zoneDma32;
  let crash: CrashkernelReservation | undefined;
  let crashEarly = false;
  let crashForcesPages = false;
  const wantsCrash = config.kexecCore && cmdline.crashkernel.length > 0;
  if (wantsCrash) {
    const req = parseCrashkernel(cmdline.crashkernel, systemRam, policy);
    crashEarly = policy.crash === "carve-out" || (policy.crash === "defer-if-dma" && !dmaConfigured);
    crashForcesPages = policy.crash === "force-pages" || (policy.crash === "defer-if-dma" && dmaConfigured);
    // The limit: the DMA zone when the reservation is deferred until the zones are known; 4 GiB
    // (ZONE_DMA32) in the early v5.10 reservation; everything without DMA zones.
    const paLimit = 1n << BigInt(g.paBits);
    const dmaLimit = policy.crash === "carve-out"
      ? maxZonePhys(32, startOfDram, endOfDram)
      : dmaConfigured ? maxZonePhys(config.zoneDma ? Math.min(32, memory.zoneDmaBits) : 32, startOfDram, endOfDram) : paLimit;
    if (req) {
      crash = reserveCrashkernel(req, free, mem, dmaLimit, paLimit, policy.release.major > 6 || (policy.release.major === 6 && policy.release.minor >= 4) ? 128n << 20n : 0n);
      if (crash.size > 0n) {
        reserve({ base: crash.base, size: crash.size });
        if (crash.low) reserve(crash.low);
      }
    }
    if (crashForcesPages) reasons.push(`crashkernel= on the command line (${policy.crash === "force-pages" ? "v5.11-v5.17 rule" : "reservation deferred until the DMA zones are known"})`);
  }

  // KFENCE: an early pool is carved out; without one, can_set_direct_map() is true.
  let kfencePool: Range | undefined;
  let kfenceLate = false;
  if (config.kfence && policy.kfence === "all-pages") {
    kfenceLate = true;
    reasons.push("CONFIG_KFENCE=y (before the early pool, every KFENCE build maps the linear map page by page)");
  } else if (config.kfence && policy.kfence === "early-pool") {
    if (kfenceInterval === 0) {
      kfenceLate = true;
      reasons.push("KFENCE with sample interval 0: the pool would be allocated late, so can_set_direct_map() is true");
    } else {
      const size = BigInt((config.kfenceNumObjects + 1) * 2) * g.pageSize;
      const base = findFreeTopDown(free, size, g.pageSize, 0n, 1n << BigInt(g.paBits));
      if (base !== undefined) {
        kfencePool = { base, size };
        reserve(kfencePool);
      }
    }
  }

  // The flags of the bank loop.
  let flags = policy.noExec ? NO_EXEC_MAPPINGS : 0;
  const pageFlags = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
  const bbml2 = policy.bbml2 ? (input.bbml2 ?? "none") : "none";
  if (rodataFull) reasons.unshift(cmdline.rodata === "full" ? "rodata=full" : "rodata=full by default (CONFIG_RODATA_FULL_DEFAULT_ENABLED)");
  if (debugPagealloc) reasons.push("debug_pagealloc");
  let pages: boolean;
  if (policy.bbml2) {
    // v6.18 force_pte_mapping(): BBML2 on every CPU lets rodata=full and KFENCE keep blocks.
    pages = (bbml2 === "none" && (rodataFull || kfenceLate)) || debugPagealloc;
    if (bbml2 !== "none" && (rodataFull || kfenceLate) && !debugPagealloc) reasons.push("BBML2_NOABORT: blocks kept, split on demand");
  } else {
    pages = rodataFull || debugPagealloc || kfenceLate;
  }
  if (pages || crashForcesPages) flags |= pageFlags;
  if (!(pages || crashForcesPages)) reasons.length = 0;

  // NOMAP marks: the kernel alias, a carved-out crashkernel, the KFENCE pool.
  const aliasStart = policy.aliasStart === "_text" ? memory.kernel.text : memory.kernel.stext;
  const alias: Range = { base: aliasStart, size: memory.kernel.initBegin - aliasStart };
  const marks: Range[] = [...nomap, alias];
  const crashCarved = crash !== undefined && crash.size > 0n && crashEarly;
  if (crashCarved) marks.push({ base: crash!.base, size: crash!.size });
  if (kfencePool) marks.push(kfencePool);

  // for_each_mem_range(): memory minus every NOMAP range.
  let banks: Range[] = mem.map((m) => ({ base: m.base, size: m.size }));
  for (const m of marks) banks = banks.flatMap((b) => subtract(b, m));
  banks.sort((a, b) => (a.base < b.base ? -1 : 1));
  const page = g.pageSize;
  for (const b of banks) {
    let start = b.base;
    let end = b.base + b.size;
    if (policy.pageAlignRanges) {
      start = ((start + page - 1n) / page) * page;
      end = (end / page) * page;
      if (start >= end) continue;
    }
    pt.map(va(start), start, end - start, linearProt, flags);
    steps.push({ what: "map memblock range (pgprot_tagged(PAGE_KERNEL))", range: { base: start, size: end - start } });
  }
  // The kernel alias: PAGE_KERNEL, blocks allowed but no CONT, so that it can be made read-only.
  pt.map(va(alias.base), alias.base, alias.size, kernelProt, NO_CONT_MAPPINGS);
  steps.push({ what: `map kernel alias [${policy.aliasStart}, __init_begin) (PAGE_KERNEL, NO_CONT_MAPPINGS)`, range: alias });
  if (crashCarved) {
    pt.map(va(crash!.base), crash!.base, crash!.size, kernelProt, pageFlags);
    steps.push({ what: "map crashkernel page by page (PAGE_KERNEL, NO_BLOCK|NO_CONT)", range: { base: crash!.base, size: crash!.size } });
  }
  if (kfencePool) {
    pt.map(va(kfencePool.base), kfencePool.base, kfencePool.size, linearProt, pageFlags);
    steps.push({ what: "map KFENCE pool page by page", range: kfencePool });
  }
  // v6.18 without BBML2 on a secondary CPU: linear_map_split_to_ptes() repaints everything but the
  // kernel alias to pages. The result equals a page-granular bank loop, which is what is built here.
  if (bbml2 === "boot" && (rodataFull || kfenceLate) && (flags & NO_BLOCK_MAPPINGS) === 0) {
    for (const b of banks) {
      pt.unmap(va(b.base), b.size);
      pt.map(va(b.base), b.base, b.size, linearProt, flags | pageFlags);
    }
    steps.push({ what: "linear_map_split_to_ptes(): a secondary CPU lacks BBML2_NOABORT, banks repainted to PTEs" });
  }

  // After boot: mark_linear_text_alias_ro().
  pt.map(va(alias.base), alias.base, alias.size, pageKernelRO({ nG, shared, dirty }), NO_CONT_MAPPINGS);
  steps.push({ what: "mark_linear_text_alias_ro() (PAGE_KERNEL_RO)", range: alias });

  // A loaded crash kernel: arch_kexec_protect_crashkres() invalidates its pages.
  let failure: PgtableError | undefined;
  if (input.kexecLoaded && crash && crash.size > 0n && policy.protectsCrashkres) {
    try {
      pt.setMemory(va(crash.base), crash.size, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear, "classic");
      steps.push({ what: "arch_kexec_protect_crashkres(): set_memory_valid(0)", range: { base: crash.base, size: crash.size } });
    } catch (e) {
      if (!(e instanceof PgtableError)) throw e;
      failure = e;
      steps.push({ what: `arch_kexec_protect_crashkres() fails: ${e.message}` });
    }
  }
  return { pt, result: { geometry: g, memstart, flags, reasons, crashkernel: crash, kfencePool, steps, failure } };
}
