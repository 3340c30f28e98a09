/**
 * The state the boot steps hand on, as the kernel's globals do: memblock, memstart_addr, the
 * decisions taken from the command line and configuration, and what each step reserved or mapped.
 */
import { SET_MEMORY } from "../descriptor.js";
import type { Geometry } from "../geometry.js";
import type { Memblock } from "../memmap/memblock.js";
import type { ChangeMode, PageTableEngine } from "../types.js";
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

  /** rodata_enabled (mark_rodata_ro() runs): everything but rodata=off. */
  rodataEnabled: boolean;
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
  /** 7.2+: the data/bss alias [__init_end, __bss_stop), mapped apart (size 0 before). */
  dataAlias: Range;
  /** The flags the bank loop used, and the ranges it mapped. */
  flags: number;
  banks: Range[];

  steps: BootStep[];
  reasons: string[];
  notes: string[];
}

/** set_memory_valid(0)'s set and clear masks: PTE_PRESENT_INVALID is the nG bit from 7.1 (and 6.18.24) on. */
export function invalidMasks(s: BootState): { set: bigint; clear: bigint } {
  return s.input.policy.invalidNg ? SET_MEMORY.invalidNg : SET_MEMORY.invalid;
}

/**
 * How set_memory_*() meets blocks and CONT entries: apply_to_page_range() before v6.18 ("classic");
 * from v6.18 update_range_prot(), which splits when BBML2 lets it ("split") and otherwise changes
 * the leaves in place ("leaf").
 */
export function changeMode(s: BootState): ChangeMode {
  if (!s.input.policy.bbml2) return "classic";
  return (s.input.bbml2 ?? "none") === "none" ? "leaf" : "split";
}

/** The linear-map VA of a physical address: __phys_to_virt(). */
export function lmAlias(s: BootState, pa: bigint): bigint {
  return pa - s.memstart + s.g.ttbr1Base;
}
