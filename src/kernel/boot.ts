/**
 * The linear map a kernel builds at boot, as the kernel's own steps in their order, one file each:
 *
 *   parse_early_param()        the decisions below (rodata_full, debug_pagealloc, KFENCE, KPTI, crashkernel=)
 *   arm64_memblock_init()      arm64-memblock-init.ts (memblock, memstart_addr, KASLR, an early crashkernel)
 *   paging_init() → map_mem()  map-mem.ts (the KFENCE pool first, then the bank loop and the alias)
 *   bootmem_init()             bootmem-init.ts (CMA, then a deferred crashkernel)
 *   after boot                 after-boot.ts (BBML2 splits, kfence_init_pool, mark_linear_text_alias_ro,
 *                              the crash region invalidated, arch_kexec_protect_crashkres, kexec_crash_size)
 *
 * All of them work on one memblock model (src/memmap/memblock.ts).
 */
import { geometry } from "../geometry.js";
import { EMPTY_MEMBLOCK } from "../memmap/memblock.js";
import type { PageTableEngine, PageTableOptions } from "../types.js";
import { archKexecProtectCrashkres, crashShrinkMemory, invalidateCrashkernelSplitting, kfenceInit, linearMapSplitToPtes, markLinearTextAliasRo } from "./after-boot.js";
import { arm64MemblockInitStep } from "./arm64-memblock-init.js";
import type { BootState } from "./boot-state.js";
import type { BootInput, BootResult } from "./boot-types.js";
import { bootmemInit } from "./bootmem-init.js";
import { CrashkernelError, parseCrashkernel } from "./crashkernel.js";
import { mapMem } from "./map-mem.js";

export type { Bbml2, BootInput, BootMemory, BootResult, BootStep, CrashStrategy } from "./boot-types.js";
export { maxZonePhys } from "./zone-dma.js";

/** parse_early_param() and the configuration: what the boot decides before it maps anything. */
function earlyDecisions(s: BootState): number {
  const { policy, config, cmdline, memory } = s.input;
  // rodata=on leaves rodata_full at its default in 6.0-6.6 before the fix (policy.rodataOnHonoured).
  s.rodataFull = cmdline.rodata === undefined || (cmdline.rodata === "on" && !policy.rodataOnHonoured)
    ? config.rodataFullDefault
    : cmdline.rodata === "full";
  s.debugPagealloc = config.debugPagealloc && (cmdline.debugPagealloc ?? config.debugPageallocDefault);
  // KPTI: kpti= on the command line, else forced by KASLR on a CPU without E0PD (kaslr_requires_kpti()).
  s.kpti = config.unmapKernelAtEl0 && (cmdline.kpti ?? (s.input.kaslrOffset !== undefined && !(s.input.cpuE0pd ?? false)));
  const kfenceInterval = cmdline.kfenceSampleInterval ?? config.kfenceSampleInterval;
  s.kfenceLate = config.kfence && (policy.kfence === "all-pages" || (policy.kfence === "early-pool" && kfenceInterval === 0));
  // crashkernel=: parsed now; reserved early (carve-out) or once the DMA zones are known (deferred).
  if (config.kexecCore && cmdline.crashkernel.length > 0) {
    const systemRam = memory.memory.reduce((t, m) => t + m.size, 0n); // memblock_phys_mem_size()
    try {
      s.crashRequest = parseCrashkernel(cmdline.crashkernel, systemRam, policy);
    } catch (e) {
      // The kernel logs the bad value and reserves nothing, but crashkernel= was still seen.
      if (!(e instanceof CrashkernelError)) throw e;
      s.notes.push(`${e.message}: nothing reserved`);
    }
    const strategy = s.input.crashStrategy ?? "kernel";
    const dma = config.zoneDma || config.zoneDma32;
    if (strategy === "kernel") {
      s.crashEarly = policy.crash === "carve-out" || (policy.crash === "defer-if-dma" && !dma);
      s.crashForcesPages = policy.crash === "force-pages" || (policy.crash === "defer-if-dma" && dma);
    } else {
      s.crashEarly = strategy !== "blocks-then-split";
    }
  }
  return kfenceInterval;
}

/** Runs the boot on a fresh engine of the config's geometry, made by `make`. */
export function bootLinearMap(input: BootInput, make: (o: PageTableOptions) => PageTableEngine): { pt: PageTableEngine; result: BootResult } {
  const { policy, config } = input;
  const g = geometry(config.granule, config.vaBits);
  const pt = make({ granule: config.granule, vaBits: config.vaBits, tableAttrs: policy.tableAttrs, safeRule: policy.safeRule });
  const s: BootState = {
    input, g, pt, mb: EMPTY_MEMBLOCK, memstart: 0n, startOfDram: 0n, endOfDram: 0n, dmaLimit: 0n, paLimit: 1n << BigInt(g.paBits),
    rodataFull: false, debugPagealloc: false, kfenceLate: false, kpti: false,
    crashRequest: undefined, crashEarly: false, crashForcesPages: false,
    crashkernel: undefined, kfencePool: undefined, cma: undefined, alias: { base: 0n, size: 0n }, flags: 0, banks: [],
    steps: [], reasons: [], notes: [],
  };
  const kfenceInterval = earlyDecisions(s);
  arm64MemblockInitStep(s);
  mapMem(s, kfenceInterval);
  bootmemInit(s);
  linearMapSplitToPtes(s);
  kfenceInit(s);
  markLinearTextAliasRo(s);
  invalidateCrashkernelSplitting(s);
  const failure = archKexecProtectCrashkres(s);
  crashShrinkMemory(s);
  const result: BootResult = {
    geometry: g, memstart: s.memstart, flags: s.flags, reasons: s.reasons, rodataFull: s.rodataFull,
    crashkernel: s.crashkernel, kfencePool: s.kfencePool, cma: s.cma, alias: s.alias, banks: s.banks,
    steps: s.steps, failure, notes: s.notes,
  };
  return { pt, result };
}
