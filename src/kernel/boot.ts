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
import { CrashkernelError, type CrashkernelReservation, parseCrashkernel, reserveCrashkernel, subtract } from "./crashkernel.js";
import { findFreeTopDown, type Range } from "./memblock-alloc.js";
import { kfenceInitPool } from "./kfence.js";
import type { KernelPolicy } from "./policy.js";
import { arm64MemstartAlign } from "../memmap/index.js";

/** The machine's memory as memblock sees it before map_mem(). */
export interface BootMemory {
  /** memblock.memory, sorted. */
  memory: Range[];
  /** Firmware's MEMBLOCK_NOMAP ranges, inside memory. */
  nomap: Range[];
  /** memblock.reserved known before map_mem() (firmware, DT /reserved-memory without no-map, kernel). */
  reserved: Range[];
  /** The kernel image: `_text`, `_stext`, `__init_begin` and `_end` (physical). */
  kernel: { text: bigint; stext: bigint; initBegin: bigint; end: bigint };
  /** ZONE_DMA's address bits from firmware (DT dma-ranges, IORT): 32, or 30 on a Raspberry Pi 4. */
  zoneDmaBits: number;
}

/**
 * How the crashkernel reservation meets the linear map. "kernel" is what the release does; the
 * others are the three options of the upstream discussion when the reservation moved after the DMA
 * zone limits were known (v5.11-v5.18):
 * - "blocks-then-split": map with blocks, reserve late, then invalidate the crash region, splitting
 *   the blocks around it (as split on demand would);
 * - "early-firmware": parse the firmware tables before the linear map, so the DMA limit and the
 *   reservation are known in time and only the crash region is carved out and mapped page by page;
 * - "assume-1g-dma": reserve early below an assumed 1 GiB ZONE_DMA, carved out likewise.
 */
export type CrashStrategy = "kernel" | "blocks-then-split" | "early-firmware" | "assume-1g-dma";

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
  /** How the crashkernel meets the linear map (default: as the release does). */
  crashStrategy?: CrashStrategy;
  /** Write to /sys/kernel/kexec_crash_size after boot: shrink the reservation to this many bytes. */
  crashShrinkTo?: bigint;
  /** Where a real boot placed the crashkernel (/proc/iomem "Crash kernel"): used instead of the model's placement. */
  crashkernelAt?: Range;
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
  /** rodata_full as the command line and configuration leave it: set_memory_ro() then reaches the linear alias too. */
  rodataFull: boolean;
  crashkernel: CrashkernelReservation | undefined;
  kfencePool: Range | undefined;
  /** The CMA area (dma_contiguous_reserve()), which decides where a deferred crashkernel lands. */
  cma: Range | undefined;
  steps: BootStep[];
  /** The failure a post-boot step met (e.g. protecting a crashkernel mapped with blocks). */
  failure: PgtableError | undefined;
  /** What else the model did to the input (memory out of reach, a placement taken from the input). */
  notes: string[];
}



/** max_zone_phys(): the top of a DMA zone of `bits` address bits (arch/arm64/mm/init.c). */
export function maxZonePhys(bits: number, startOfDram: bigint, endOfDram: bigint): bigint {
  const u32Max = 0xffff_ffffn;
  let zoneMask = (1n << BigInt(bits)) - 1n;
  if (startOfDram > u32Max) zoneMask = (1n << 64n) - 1n;
  else if (startOfDram > zoneMask) zoneMask = u32Max;
  return (zoneMask < endOfDram - 1n ? zoneMask : endOfDram - 1n) + 1n;
}

/** cma=SIZE as memparse() reads it. */
function parseCmaSize(v: string): bigint {
  const m = /^(\d+)([KMG]?)$/i.exec(v)!;
  const unit = { "": 0n, K: 10n, M: 20n, G: 30n }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
  return BigInt(m[1]) << unit;
}

/** Runs the boot on `pt` (a fresh engine of the config's geometry). */
export function bootLinearMap(input: BootInput, make: (o: PageTableOptions) => PageTableEngine): { pt: PageTableEngine; result: BootResult } {
  const { policy, config, cmdline, memory } = input;
  const g = geometry(config.granule, config.vaBits);
  const pt = make({ granule: config.granule, vaBits: config.vaBits, tableAttrs: policy.tableAttrs, safeRule: policy.safeRule });
  const steps: BootStep[] = [];
  const reasons: string[] = [];
  const notes: string[] = [];
  const startOfDram = memory.memory[0].base;
  const align = arm64MemstartAlign(g.granule);
  const memstart = (startOfDram / align) * align;
  // arm64_memblock_init(): memory the linear region cannot reach is removed.
  const reach = memstart + (1n << BigInt(g.vaBits - 1));
  const mem = memory.memory.flatMap((m) => subtract(m, { base: reach, size: (1n << 64n) - reach }));
  if (mem.length < memory.memory.length || mem.some((m, i) => m.size !== memory.memory[i].size)) {
    notes.push(`memory above 0x${reach.toString(16)} is out of the linear map's reach and removed`);
  }
  const endOfDram = mem[mem.length - 1].base + mem[mem.length - 1].size;
  const va = (pa: bigint) => pa - memstart + g.ttbr1Base;
  const systemRam = mem.reduce((s, m) => s + m.size, 0n); // memblock_phys_mem_size()

  // Command line over configuration.
  // rodata=on leaves rodata_full at its default in 6.0-6.6 before the fix (policy.rodataOnHonoured).
  const rodataFull = cmdline.rodata === undefined || (cmdline.rodata === "on" && !policy.rodataOnHonoured)
    ? config.rodataFullDefault
    : cmdline.rodata === "full";
  const debugPagealloc = config.debugPagealloc && (cmdline.debugPagealloc ?? config.debugPageallocDefault);
  const kpti = config.unmapKernelAtEl0 && (cmdline.kpti ?? false);
  const kfenceInterval = cmdline.kfenceSampleInterval ?? config.kfenceSampleInterval;
  const nG = kpti;
  const shared = !g.lpa2;
  const dirty = policy.pageKernelDirty;
  const linearProt = pageKernel({ tagged: true, nG, shared, dirty });
  const kernelProt = pageKernel({ tagged: false, nG, shared, dirty });

  // Free memory for early allocations: memory without NOMAP, without what is reserved.
  let free: Range[] = mem.map((m) => ({ base: m.base, size: m.size }));
  const reserve = (r: Range) => {
    free = free.flatMap((f) => subtract(f, r));
  };
  for (const r of [...memory.nomap, ...memory.reserved]) reserve(r);
  reserve({ base: memory.kernel.text, size: memory.kernel.end - memory.kernel.text });

  // crashkernel=: reserved before map_mem() (carve-out) or after it, once the DMA zones are known
  // (deferred). The deferred reservation comes after the CMA area (dma_contiguous_reserve() runs
  // first in bootmem_init()), the early one before it.
  const dmaConfigured = config.zoneDma || config.zoneDma32;
  const paLimit = 1n << BigInt(g.paBits);
  const dmaLimit = dmaConfigured ? maxZonePhys(config.zoneDma ? Math.min(32, memory.zoneDmaBits) : 32, startOfDram, endOfDram) : paLimit;
  let crash: CrashkernelReservation | undefined;
  let cma: Range | undefined;
  let crashEarly = false;
  let crashForcesPages = false;
  const wantsCrash = config.kexecCore && cmdline.crashkernel.length > 0;
  const reserveCma = () => {
    if (!config.dmaCma) return;
    const size = cmdline.cma !== undefined ? parseCmaSize(cmdline.cma) : BigInt(config.cmaSizeMbytes) << 20n;
    if (size === 0n) return;
    // CMA_MIN_ALIGNMENT_BYTES: PAGE_SIZE << (MAX_ORDER - 1) = 4 MiB with 4K pages.
    const base = findFreeTopDown(free, size, g.pageSize << 10n, 0n, dmaLimit);
    if (base !== undefined) {
      cma = { base, size };
      reserve(cma);
    }
  };
  // The order of boot: an early crashkernel (arm64_memblock_init), the KFENCE pool (map_mem in
  // paging_init), then in bootmem_init the CMA area and a deferred crashkernel.
  const strategy = input.crashStrategy ?? "kernel";
  let req: ReturnType<typeof parseCrashkernel>;
  if (wantsCrash) {
    try {
      req = parseCrashkernel(cmdline.crashkernel, systemRam, policy);
    } catch (e) {
      // The kernel logs the bad value and reserves nothing, but crashkernel= was still seen.
      if (!(e instanceof CrashkernelError)) throw e;
      notes.push(`${e.message}: nothing reserved`);
      req = undefined;
    }
    if (strategy === "kernel") {
      crashEarly = policy.crash === "carve-out" || (policy.crash === "defer-if-dma" && !dmaConfigured);
      crashForcesPages = policy.crash === "force-pages" || (policy.crash === "defer-if-dma" && dmaConfigured);
    } else {
      crashEarly = strategy !== "blocks-then-split";
    }
    if (crashForcesPages) reasons.push(`crashkernel= on the command line (${policy.crash === "force-pages" ? "v5.13-v5.17 rule" : "reservation deferred until the DMA zones are known"})`);
  }
  const reserveCrash = () => {
    // The v5.10 early reservation searched below ZONE_DMA32's 4 GiB; option (3) assumes 30 bits.
    const limit = strategy === "assume-1g-dma"
      ? maxZonePhys(30, startOfDram, endOfDram)
      : policy.crash === "carve-out" && strategy === "kernel" ? maxZonePhys(32, startOfDram, endOfDram) : dmaLimit;
    if (req && input.crashkernelAt) {
      crash = { base: input.crashkernelAt.base, size: input.crashkernelAt.size, low: undefined, log: ["placement taken from the memory map"] };
      reserve(input.crashkernelAt);
    } else if (req) {
      crash = reserveCrashkernel(req, free, mem, limit, paLimit, policy.crashDefaults62 ? 128n << 20n : 0n, policy.crashDefaults62);
      if (crash.size > 0n) {
        reserve({ base: crash.base, size: crash.size });
        if (crash.low) reserve(crash.low);
      }
    }
  };
  if (wantsCrash && crashEarly) reserveCrash();

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
  reserveCma();
  if (wantsCrash && !crashEarly) reserveCrash();

  // The flags of the bank loop.
  let flags = policy.noExec ? NO_EXEC_MAPPINGS : 0;
  const pageFlags = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
  const bbml2 = policy.bbml2 ? (input.bbml2 ?? "none") : "none";
  if (rodataFull) {
    reasons.unshift(cmdline.rodata === "full" ? "rodata=full" : cmdline.rodata === "on"
      ? "rodata=on keeps rodata_full on in this release (fixed by acfa60dbe038)"
      : "rodata=full by default (CONFIG_RODATA_FULL_DEFAULT_ENABLED)");
  }
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
  const marks: Range[] = [...memory.nomap, alias];
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
  // v6.18 without BBML2 on a secondary CPU: linear_map_split_to_ptes() repaints everything but
  // [_stext, __init_begin) to pages, without CONT. The banks become what a page-granular bank loop
  // builds. Not modelled: the kernel also splits the alias's block holding [_text, _stext).
  if (bbml2 === "boot" && (rodataFull || kfenceLate) && (flags & NO_BLOCK_MAPPINGS) === 0) {
    for (const b of banks) {
      pt.unmap(va(b.base), b.size);
      pt.map(va(b.base), b.base, b.size, linearProt, flags | pageFlags);
    }
    steps.push({ what: "linear_map_split_to_ptes(): a secondary CPU lacks BBML2_NOABORT, all but [_stext, __init_begin) repainted to PTEs" });
  }

  // kfence_init() (mm_core_init, after paging_init): the guard pages of the pool are protected.
  if (kfencePool) {
    kfenceInitPool(pt, va(kfencePool.base), config.kfenceNumObjects);
    steps.push({ what: "kfence_init_pool(): the first two pages and each object's guard page lose PTE_VALID", range: kfencePool });
  }

  // After boot: mark_linear_text_alias_ro().
  pt.map(va(alias.base), alias.base, alias.size, pageKernelRO({ nG, shared, dirty }), NO_CONT_MAPPINGS);
  steps.push({ what: "mark_linear_text_alias_ro() (PAGE_KERNEL_RO)", range: alias });

  // Option (1): the crash region, mapped with blocks, is invalidated once reserved; its blocks are
  // split as far as its ends need.
  if (input.crashStrategy === "blocks-then-split" && crash && crash.size > 0n) {
    const r = pt.setMemory(va(crash.base), crash.size, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear, "split");
    steps.push({ what: `invalidate the crashkernel, splitting blocks: ${r.framesAllocated} table pages allocated, ${r.descriptorsWritten} descriptors written`, range: { base: crash.base, size: crash.size } });
  }

  // A loaded crash kernel: arch_kexec_protect_crashkres() invalidates its pages.
  let failure: PgtableError | undefined;
  if (input.kexecLoaded && crash && crash.size > 0n && policy.protectsCrashkres) {
    try {
      pt.setMemory(va(crash.base), crash.size, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear, "classic");
      steps.push({ what: "arch_kexec_protect_crashkres(): set_memory_valid(0) over the whole reservation (the kernel does the loaded segments: an upper bound)", range: { base: crash.base, size: crash.size } });
    } catch (e) {
      if (!(e instanceof PgtableError)) throw e;
      failure = e;
      steps.push({ what: `arch_kexec_protect_crashkres() fails: ${e.message}` });
    }
  }
  // /sys/kernel/kexec_crash_size: crash_shrink_memory() gives the tail back to the page allocator.
  if (input.crashShrinkTo !== undefined && crash && crash.size > 0n) {
    const keep = ((input.crashShrinkTo + g.pageSize - 1n) / g.pageSize) * g.pageSize;
    if (input.kexecLoaded) {
      notes.push("kexec_crash_size: -ENOENT while a crash kernel is loaded");
    } else if (keep > crash.size) {
      notes.push(`kexec_crash_size: ${keep} is above the reservation (${crash.size}): -EINVAL`);
    } else if (keep === crash.size) {
      notes.push("kexec_crash_size: the size it already has: nothing to do");
    } else {
      const given = crash.size - keep;
      notes.push(`kexec_crash_size: ${given / g.pageSize} pages (${given >> 20n} MiB) at 0x${(crash.base + keep).toString(16)} given back; ` +
        "they are mapped as the crash region was" + (crashCarved || (flags & NO_BLOCK_MAPPINGS) ? " (page by page, so they can be freed page by page)" : " (with blocks)"));
      crash = { ...crash, size: keep };
    }
  }
  return { pt, result: { geometry: g, memstart, flags, reasons, rodataFull, crashkernel: crash, kfencePool, cma, steps, failure, notes } };
}
