/**
 * Linear-map arithmetic and `arm64_memblock_init()` (6.1 `arch/arm64/mm/init.c`), without KASLR and
 * without KASAN.
 *
 * What `arm64_memblock_init()` does, in order, and what is modelled here:
 * 1. `linear_region_size = PAGE_END - _PAGE_OFFSET(vabits_actual)`: 2^(VA_BITS-1) without KASAN
 *    (`PAGE_END = _PAGE_END(VA_BITS_MIN)`, VA_BITS_MIN = 48 when VA_BITS = 52). Modelled, with
 *    vabits_actual = VA_BITS. Not modelled: KASAN (PAGE_END moves down to the shadow start) and the
 *    51-bit cap for KVM in nVHE mode on 52-bit-capable CPUs.
 * 2. `memblock_remove(1ULL << PHYS_MASK_SHIFT, ULLONG_MAX)`: memory above the PA size. Modelled.
 * 3. `memstart_addr = round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN)`. Modelled.
 * 4. The warning "Memory doesn't fit in the linear mapping, VA_BITS too small", then
 *    `memblock_remove(max(memstart_addr + linear_region_size, __pa_symbol(_end)), ULLONG_MAX)`, and
 *    if memory still ends above the linear region (the kernel sits high), `memstart_addr =
 *    round_up(end_of_DRAM - linear_region_size, ALIGN)` and `memblock_remove(0, memstart_addr)`.
 *    Modelled.
 * 5. Not modelled: a 52-bit VA kernel on a 48-bit CPU (memstart_addr moves down by
 *    `_PAGE_OFFSET(48) - _PAGE_OFFSET(52)`); `mem=` (`memblock_mem_limit_remove_map()` then the kernel
 *    image added back); the initrd added back (`memblock_add` + `clear_nomap` + `reserve`); the KASLR
 *    randomisation of memstart_addr (only with CONFIG_RANDOMIZE_BASE and a seed: we model no KASLR).
 * 6. Then `memblock_reserve(_stext, _end - _stext)`, `early_init_fdt_scan_reserved_mem()`
 *    (`/memreserve/`, `/reserved-memory`: no-map marks NOMAP) and, unless deferred (when ZONE_DMA or
 *    ZONE_DMA32 is configured), `reserve_crashkernel()`: these are the `reserved`/`nomap`/crashkernel
 *    parts of a `MemoryMap`, already in the memblock `memblockFromMap()` builds.
 */
import { InvalidArgumentError } from "../errors.js";
import { type Granule, geometry } from "../geometry.js";
import { type Memblock, memblockEndOfDRAM, memblockRemove, memblockStartOfDRAM } from "./memblock.js";
import type { PhysRange } from "./model.js";

const U64 = 1n << 64n;

/**
 * `ARM64_MEMSTART_ALIGN` (6.1 `asm/kernel-pgtable.h`): `1 << max(ARM64_MEMSTART_SHIFT,
 * SECTION_SIZE_BITS)` with the shift PUD_SHIFT (4K), CONT_PMD_SHIFT (16K) or PMD_SHIFT (64K) and
 * SECTION_SIZE_BITS 27 (4K, 16K) or 29 (64K): 4K → 1 GiB, 16K → 1 GiB, 64K → 512 MiB.
 */
export function arm64MemstartAlign(granule: Granule = 4): bigint {
  const pageShift = { 4: 12, 16: 14, 64: 16 }[granule];
  if (pageShift === undefined) throw new InvalidArgumentError("granule", `${granule}K is not 4, 16 or 64`);
  const bits = pageShift - 3;
  const pmdShift = pageShift + bits; // ARM64_HW_PGTABLE_LEVEL_SHIFT(2)
  const pudShift = pageShift + 2 * bits; // ARM64_HW_PGTABLE_LEVEL_SHIFT(1); folded PUD keeps the value
  const contPmdShift = pmdShift + (granule === 4 ? 4 : 5); // CONFIG_ARM64_CONT_PMD_SHIFT
  const shift = granule === 4 ? pudShift : granule === 16 ? contPmdShift : pmdShift;
  const sectionSizeBits = granule === 64 ? 29 : 27;
  return 1n << BigInt(Math.max(shift, sectionSizeBits));
}

/** `PAGE_OFFSET = -(1 << VA_BITS)` as a 64-bit address: the start of the linear map. */
export function pageOffset(vaBits = 48): bigint {
  return U64 - (1n << BigInt(vaBits));
}

/** `PAGE_END - PAGE_OFFSET` without KASAN: `_PAGE_END(VA_BITS_MIN) = -(1 << (VA_BITS_MIN - 1))`. */
export function linearRegionSize(vaBits = 48): bigint {
  const vaBitsMin = vaBits === 52 ? 48 : vaBits;
  return U64 - (1n << BigInt(vaBitsMin - 1)) - pageOffset(vaBits);
}

/** `round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN)`: memstart_addr before any removal. */
export function memstartAddr(mb: Memblock, granule: Granule = 4): bigint {
  const align = arm64MemstartAlign(granule);
  return (memblockStartOfDRAM(mb) / align) * align;
}

/** `__phys_to_virt(pa) = (pa - PHYS_OFFSET) | PAGE_OFFSET`, 64-bit, unchecked as in the kernel. */
export function physToVirt(pa: bigint, memstart: bigint, vaBits = 48): bigint {
  return BigInt.asUintN(64, BigInt.asUintN(64, pa - memstart) | pageOffset(vaBits));
}

/** `__lm_to_phys(va) = (va - PAGE_OFFSET) + PHYS_OFFSET`, for a linear-map address. */
export function virtToPhys(va: bigint, memstart: bigint, vaBits = 48): bigint {
  return BigInt.asUintN(64, va - pageOffset(vaBits) + memstart);
}

/** Options of `arm64MemblockInit`. */
export interface MemblockInitOptions {
  readonly granule?: Granule;
  readonly vaBits?: number;
  /** PHYS_MASK_SHIFT: CONFIG_ARM64_PA_BITS, 48 (default) or 52. */
  readonly paBits?: number;
  /** `__pa_symbol(_end)`: memory below it is never clipped (default 0: the kernel sits low). */
  readonly kernelEnd?: bigint;
}

/** What `arm64MemblockInit` returns. */
export interface MemblockInitResult {
  readonly memblock: Memblock;
  /** memstart_addr = PHYS_OFFSET, the PA that PAGE_OFFSET maps. */
  readonly memstartAddr: bigint;
  readonly linearRegionSize: bigint;
  /** Memory the function removed, as it was (NOMAP regions included). */
  readonly removed: readonly PhysRange[];
  /** The kernel's warnings, verbatim. */
  readonly warnings: readonly string[];
}

function removedBetween(before: Memblock, after: Memblock): PhysRange[] {
  const out: PhysRange[] = [];
  for (const r of before.memory) {
    let cur = r.base;
    const end = r.base + r.size;
    for (const a of after.memory) {
      if (a.base + a.size <= cur || a.base >= end) continue;
      if (a.base > cur) out.push({ base: cur, size: a.base - cur });
      cur = a.base + a.size;
    }
    if (cur < end) out.push({ base: cur, size: end - cur });
  }
  return out;
}

/** The memory-trimming part of 6.1 `arm64_memblock_init()` and the memstart_addr it picks (no KASLR). */
export function arm64MemblockInit(mb: Memblock, options: MemblockInitOptions = {}): MemblockInitResult {
  const granule = options.granule ?? 4;
  const vaBits = options.vaBits ?? 48;
  geometry(granule, vaBits); // throws for a pair Linux does not offer
  const paBits = options.paBits ?? 48;
  if (paBits !== 48 && paBits !== 52) throw new InvalidArgumentError("paBits", `${paBits} is not 48 or 52`);
  const kernelEnd = options.kernelEnd ?? 0n;
  const linear = linearRegionSize(vaBits);
  const align = arm64MemstartAlign(granule);
  const warnings: string[] = [];
  let m = memblockRemove(mb, 1n << BigInt(paBits), U64);
  let memstart = memstartAddr(m, granule);
  if (memblockEndOfDRAM(m) - memstart > linear) warnings.push("Memory doesn't fit in the linear mapping, VA_BITS too small");
  const cut = memstart + linear > kernelEnd ? memstart + linear : kernelEnd;
  m = memblockRemove(m, cut, U64);
  if (memstart + linear < memblockEndOfDRAM(m)) {
    memstart = ((memblockEndOfDRAM(m) - linear + align - 1n) / align) * align;
    m = memblockRemove(m, 0n, memstart);
  }
  return { memblock: m, memstartAddr: memstart, linearRegionSize: linear, removed: removedBetween(mb, m), warnings };
}
