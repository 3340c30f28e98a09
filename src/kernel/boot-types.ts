/** What the boot model takes and gives: the machine's memory, the release's rules, the result. */
import type { PgtableError } from "../errors.js";
import type { Geometry } from "../geometry.js";
import type { PhysRange as Range } from "../memmap/model.js";
import type { Cmdline } from "./cmdline.js";
import type { KernelConfig } from "./config.js";
import type { CrashkernelReservation } from "./crashkernel.js";
import type { KernelPolicy } from "./policy.js";

export type { Range };

/** The machine's memory as firmware and the loader leave it, before arm64_memblock_init(). */
export interface BootMemory {
  /**
   * The memory banks (memblock_add()), sorted; touching banks merge as memblock merges them. `nid`:
   * the NUMA node, where the input names it (a boot log's node ranges); sparse_init() works per node.
   */
  memory: Array<Range & { nid?: number }>;
  /** Firmware's MEMBLOCK_NOMAP ranges, inside memory. */
  nomap: Range[];
  /** memblock.reserved known before map_mem() (firmware, DT /reserved-memory without no-map). */
  reserved: Range[];
  /**
   * The kernel image: `_text`, `_stext`, `__init_begin`, `__init_end` (= `_sdata`), `__bss_stop`
   * and `_end` (physical).
   */
  kernel: { text: bigint; stext: bigint; initBegin: bigint; initEnd: bigint; bssStop: bigint; end: bigint };
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
  /**
   * KASLR is on (no `nokaslr`, the firmware gave a seed) and moved the linear map up by this many
   * bytes (arm64_memblock_init: memstart_addr -= ARM64_MEMSTART_ALIGN * k); undefined: KASLR off.
   */
  kaslrOffset?: bigint;
  /** The CPU has FEAT_E0PD, so KASLR does not force KPTI (kaslr_requires_kpti()). */
  cpuE0pd?: boolean;
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
  /** The kernel alias map_mem() mapped apart: [_text or _stext, __init_begin). */
  alias: Range;
  /** 7.2+: the data/bss alias [__init_end, __bss_stop), read-only (7.2) or invalid (7.3) after mark_rodata_ro() (size 0 before). */
  dataAlias: Range;
  /** The memblock ranges the bank loop mapped (for_each_mem_range() with the alias, pool and carve-out NOMAP). */
  banks: Range[];
  steps: BootStep[];
  /** The failure a post-boot step met (e.g. protecting a crashkernel mapped with blocks). */
  failure: PgtableError | undefined;
  /** What else the model did to the input (memory out of reach, a placement taken from the input). */
  notes: string[];
}
