/**
 * The state the boot steps hand on, as the kernel's globals do: memblock, memstart_addr, the
 * decisions taken from the command line and configuration, and what each step reserved or mapped.
 */
import type { Geometry } from "../geometry.js";
import type { Memblock } from "../memmap/memblock.js";
import type { PageTableEngine } from "../types.js";
import type { BootInput, BootStep, Range } from "./boot-types.js";
import type { CrashkernelRequest, CrashkernelReservation } from "./crashkernel.js";

/** The boot in progress. Steps read the input and decisions, and update the rest. */
export interface BootState {
  readonly input: BootInput;
  readonly g: Geometry;
  readonly pt: PageTableEngine;
  /** memblock.memory and memblock.reserved. */
  mb: Memblock;
  /** memstart_addr (PHYS_OFFSET). */
  memstart: bigint;
  /** memblock_start_of_DRAM() and memblock_end_of_DRAM() after arm64_memblock_init(). */
  startOfDram: bigint;
  endOfDram: bigint;
  /** arm64_dma_phys_limit: the top of ZONE_DMA (or DMA32), where CMA and the crashkernel go. */
  dmaLimit: bigint;
  /** 1 << PHYS_MASK_SHIFT. */
  paLimit: bigint;

  /** rodata_full, debug_pagealloc_enabled(), and KFENCE without an early pool (can_set_direct_map()). */
  rodataFull: boolean;
  debugPagealloc: boolean;
  kfenceLate: boolean;
  /** KPTI: linear-map entries are nG. */
  kpti: boolean;
  /** The crashkernel= request (undefined: none, or it did not parse). */
  crashRequest: CrashkernelRequest | undefined;
  /** The reservation is made before map_mem() and carved out of the bank loop. */
  crashEarly: boolean;
  /** crashkernel= makes the whole bank loop page-granular. */
  crashForcesPages: boolean;

  crashkernel: CrashkernelReservation | undefined;
  kfencePool: Range | undefined;
  cma: Range | undefined;
  /** The kernel alias [_text or _stext, __init_begin). */
  alias: Range;
  /** The flags the bank loop used, and the ranges it mapped. */
  flags: number;
  banks: Range[];

  steps: BootStep[];
  reasons: string[];
  notes: string[];
}

/** The linear-map VA of a physical address: __phys_to_virt(). */
export function lmAlias(s: BootState, pa: bigint): bigint {
  return pa - s.memstart + s.g.ttbr1Base;
}
