/**
 * The kernel build configuration map_mem() depends on, read from a `.config` (what
 * /boot/config-$(uname -r) holds). Without one, the arm64 Kconfig defaults as arm64's defconfig
 * leaves them (arch/arm64/Kconfig, lib/Kconfig.kfence: 6.1 and 6.12 agree on these).
 */
import { oneLine } from "../memmap/errors.js";

/** The options that shape the linear map. */
export interface KernelConfig {
  /** CONFIG_RODATA_FULL_DEFAULT_ENABLED (default y): rodata=full unless the command line says otherwise. */
  rodataFullDefault: boolean;
  /** CONFIG_KFENCE (default n in defconfig). */
  kfence: boolean;
  /** CONFIG_KFENCE_SAMPLE_INTERVAL (default 100); 0 leaves the pool to be allocated late. */
  kfenceSampleInterval: number;
  /** CONFIG_KFENCE_NUM_OBJECTS (default 255): the pool is (N + 1) * 2 pages. */
  kfenceNumObjects: number;
  /** CONFIG_ZONE_DMA (default y). */
  zoneDma: boolean;
  /** CONFIG_ZONE_DMA32 (default y). */
  zoneDma32: boolean;
  /** CONFIG_DEBUG_PAGEALLOC (default n). */
  debugPagealloc: boolean;
  /** CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT (default n). */
  debugPageallocDefault: boolean;
  /** CONFIG_UNMAP_KERNEL_AT_EL0 (default y): KPTI can be used. */
  unmapKernelAtEl0: boolean;
  /** CONFIG_ARM64_MTE (default y). */
  arm64Mte: boolean;
  /** CONFIG_KEXEC_CORE (y with CONFIG_KEXEC or CONFIG_CRASH_DUMP, as in defconfig). */
  kexecCore: boolean;
  /** CONFIG_DMA_CMA (y in defconfig): a CMA area is reserved below the DMA limit at boot. */
  dmaCma: boolean;
  /** CONFIG_CMA_SIZE_MBYTES (32 in defconfig, 64 in Debian). */
  cmaSizeMbytes: number;
  /** CONFIG_ARM64_PA_BITS (default 48): MAX_PHYSMEM_BITS, which sizes sparse's mem_section roots. */
  paBits: number;
  /** CONFIG_PAGE_EXTENSION (default n): struct mem_section grows from 16 to 32 bytes. */
  pageExtension: boolean;
  /** Page size in KiB: CONFIG_ARM64_{4K,16K,64K}_PAGES (default 4). */
  granule: 4 | 16 | 64;
  /** CONFIG_ARM64_VA_BITS (default 48). */
  vaBits: number;
}

/** The defaults (arm64 Kconfig as defconfig leaves it). */
export const DEFAULT_CONFIG: Readonly<KernelConfig> = {
  rodataFullDefault: true,
  kfence: false,
  kfenceSampleInterval: 100,
  kfenceNumObjects: 255,
  zoneDma: true,
  zoneDma32: true,
  debugPagealloc: false,
  debugPageallocDefault: false,
  unmapKernelAtEl0: true,
  arm64Mte: true,
  kexecCore: true,
  dmaCma: true,
  cmaSizeMbytes: 32,
  paBits: 48,
  pageExtension: false,
  granule: 4,
  vaBits: 48,
};

/** A .config line that is neither an option nor a comment; the message is `file:line: reason`. */
export class ConfigError extends Error {
  readonly source: string;
  /** 1-based. */
  readonly line: number;
  readonly reason: string;
  constructor(source: string, line: number, reason: string) {
    const why = oneLine(reason);
    super(`${oneLine(source)}:${line}: ${why}`);
    this.name = "ConfigError";
    this.source = source;
    this.line = line;
    this.reason = why;
  }
}

const BOOLEANS: Record<string, keyof KernelConfig> = {
  CONFIG_RODATA_FULL_DEFAULT_ENABLED: "rodataFullDefault",
  CONFIG_KFENCE: "kfence",
  CONFIG_ZONE_DMA: "zoneDma",
  CONFIG_ZONE_DMA32: "zoneDma32",
  CONFIG_DEBUG_PAGEALLOC: "debugPagealloc",
  CONFIG_DEBUG_PAGEALLOC_ENABLE_DEFAULT: "debugPageallocDefault",
  CONFIG_UNMAP_KERNEL_AT_EL0: "unmapKernelAtEl0",
  CONFIG_ARM64_MTE: "arm64Mte",
  CONFIG_KEXEC_CORE: "kexecCore",
  CONFIG_DMA_CMA: "dmaCma",
  CONFIG_PAGE_EXTENSION: "pageExtension",
};

/** Reads a .config. Options it does not know are skipped; malformed lines are errors. */
export function parseConfig(text: string, source = "<config>"): KernelConfig {
  const c: KernelConfig = { ...DEFAULT_CONFIG };
  // In a .config an option absent is "not set": the booleans start false, not at their defaults.
  for (const key of Object.values(BOOLEANS)) (c as unknown as Record<string, unknown>)[key] = false;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset || line.startsWith("#")) return;
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (!m) throw new ConfigError(source, i + 1, `not a CONFIG_ line: "${line.slice(0, 60)}"`);
    const [, name, value] = m;
    const key = BOOLEANS[name];
    if (key) {
      if (value !== "y" && value !== "m" && value !== "n") throw new ConfigError(source, i + 1, `${name} must be y, m or n, not ${value}`);
      (c as unknown as Record<string, unknown>)[key] = value !== "n";
      return;
    }
    const num = () => {
      if (!/^\d+$/.test(value)) throw new ConfigError(source, i + 1, `${name} must be a number, not ${value}`);
      return Number(value);
    };
    if (name === "CONFIG_KFENCE_SAMPLE_INTERVAL") c.kfenceSampleInterval = num();
    else if (name === "CONFIG_KFENCE_NUM_OBJECTS") c.kfenceNumObjects = num();
    else if (name === "CONFIG_ARM64_VA_BITS") c.vaBits = num();
    else if (name === "CONFIG_CMA_SIZE_MBYTES") c.cmaSizeMbytes = num();
    else if (name === "CONFIG_ARM64_PA_BITS") c.paBits = num();
    else if (name === "CONFIG_ARM64_4K_PAGES" && value === "y") c.granule = 4;
    else if (name === "CONFIG_ARM64_16K_PAGES" && value === "y") c.granule = 16;
    else if (name === "CONFIG_ARM64_64K_PAGES" && value === "y") c.granule = 64;
  });
  return c;
}
