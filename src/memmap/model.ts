/**
 * The common model every memory-map parser returns: the memblock calls that firmware tables and the
 * early boot code make before `paging_init()` builds the linear map (6.1: EFI `reserve_regions()` or
 * DT `early_init_dt_scan_memory()`, then `early_init_fdt_scan_reserved_mem()`, the kernel image and
 * the crashkernel reservation).
 */

/** The input formats `parseMemoryMap` reads. */
export type MemoryMapFormat = "iomem" | "bootlog" | "dts" | "json" | "shorthand";

/** A physical range `[base, base + size)`; `size > 0`. */
export interface PhysRange {
  readonly base: bigint;
  readonly size: bigint;
}

/** One `memblock_add()`: a memory bank, with the NUMA node when the input names it. */
export interface MemoryBank extends PhysRange {
  readonly nid?: number;
}

/**
 * A parsed memory map. Ranges are sorted by base; `memory` banks do not overlap one another, and
 * `nomap`, `reserved`, `kernel`, `kernelData` and the crashkernel lie inside memory without
 * overlapping one another (the parsers guarantee it).
 */
export interface MemoryMap {
  readonly source: string;
  readonly format: MemoryMapFormat;
  /** The physical address limit the map was checked against: every range ends at or below 2^paBits. */
  readonly paBits: number;
  /** `memblock.memory` as the input lists it, NOMAP banks included, one entry per input range (not merged). */
  readonly memory: readonly MemoryBank[];
  /** `memblock_mark_nomap()` ranges: firmware-reserved memory the linear map leaves out. */
  readonly nomap: readonly PhysRange[];
  /** `memblock_reserve()` ranges made before the linear map is built, other than the kernel and the crashkernel: still mapped. */
  readonly reserved: readonly PhysRange[];
  /**
   * `memblock.reserved` as a running kernel shows it (`/proc/iomem`'s nested "reserved"): what was
   * reserved before the linear map and what boot allocated after it (page tables, struct pages, CMA,
   * the crashkernel's neighbours), which cannot be told apart. Kept for reference, never used as
   * reservations made before `map_mem()`.
   */
  readonly lateReserved?: readonly PhysRange[];
  /** The kernel alias `map_mem()` maps apart, `[_text or _stext, __init_begin)` as the release has it (`/proc/iomem` "Kernel code", which starts where the alias does in every release read). */
  readonly kernel?: PhysRange;
  /** `[_sdata, _end)` (`/proc/iomem` "Kernel data"): mapped with the rest of memory. */
  readonly kernelData?: PhysRange;
  /** `crashk_res`: the `crashkernel=` reservation (the one `map_mem()` maps page by page). */
  readonly crashkernel?: PhysRange;
  /** `crashk_low_res`: the `crashkernel=…,low` reservation below the DMA limit; `map_mem()` ignores it. */
  readonly crashkernelLow?: PhysRange;
  /** What the parser read but does not model, or read differently from Linux, one sentence each. */
  readonly notes: readonly string[];
}

/** The exclusive end of a range. */
export function rangeEnd(r: PhysRange): bigint {
  return r.base + r.size;
}

/** Hexadecimal with `0x`, no padding: `0x40000000`. */
export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** A range as the kernel prints it, inclusive end: `0x40000000-0x7fffffff`. */
export function formatRange(r: PhysRange): string {
  return `${hex(r.base)}-${hex(r.base + r.size - 1n)}`;
}
