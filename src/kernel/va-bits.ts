/**
 * The VA size a kernel runs with. `CONFIG_ARM64_VA_BITS` is what it was built for; with 52 it asks
 * the CPU: 4K and 16K pages need FEAT_LPA2, 64K pages FEAT_LVA. Without them the kernel runs with
 * `VA_BITS_MIN` (arch/arm64/include/asm/memory.h: 48, or 47 with 16K pages) and `vabits_actual`
 * says so (6.12 arch/arm64/kernel/pi/map_kernel.c, cpufeature.c).
 */
import type { Granule } from "../geometry.js";

/** What the CPU offers for large virtual addresses. */
export interface CpuVaFeatures {
  /** FEAT_LPA2: 52-bit VAs and PAs with 4K and 16K pages. */
  lpa2: boolean;
  /** FEAT_LVA: 52-bit VAs with 64K pages. */
  lva: boolean;
  /** FEAT_E0PD (Armv8.5): KASLR then does not need KPTI (kaslr_requires_kpti()). */
  e0pd?: boolean;
}

/** `VA_BITS_MIN` of a 52-bit build: what it falls back to on a CPU without the feature. */
export function vaBitsMin(granule: Granule): number {
  return granule === 16 ? 47 : 48;
}

/** The VA bits a kernel built for `configVaBits` runs with on `cpu`. */
export function runtimeVaBits(granule: Granule, configVaBits: number, cpu: CpuVaFeatures): number {
  if (configVaBits !== 52) return configVaBits;
  const has = granule === 64 ? cpu.lva : cpu.lpa2;
  return has ? 52 : vaBitsMin(granule);
}
