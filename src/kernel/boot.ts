/**
 * The linear map a kernel builds at boot, as the kernel's own steps in their order, one file each:
 *
 *   parse_early_param()        the decisions below (rodata_full, debug_pagealloc, KFENCE, KPTI, crashkernel=)
 *   arm64_memblock_init()      arm64-memblock-init.ts (memblock, memstart_addr, KASLR, an early crashkernel)
 *   paging_init() → map_mem()  map-mem.ts (the KFENCE pool first, then the bank loop and the alias)
 *   bootmem_init()             bootmem-init.ts (CMA, then a deferred crashkernel)
 *   after boot                 after-boot.ts (BBML2 splits, kfence_init_pool, mark_linear_text_alias_ro,
 *                              mark_rodata_ro (7.2: the data alias read-only, 7.3: invalid), the crash region invalidated,
 *                              arch_kexec_protect_crashkres, kexec_crash_size)
 *
 * All of them work on one memblock model (src/memmap/memblock.ts).
 */
import { geometry } from "../geometry.js";
import { EMPTY_MEMBLOCK } from "../memmap/memblock.js";
import type { PageTableEngine, PageTableOptions } from "../types.js";
import { archKexecProtectCrashkres, crashShrinkMemory, invalidateCrashkernelSplitting, kfenceInit, linearMapSplitToPtes, markLinearTextAliasRo, markRodataRo } from "./after-boot.js";
import { arm64MemblockInitStep } from "./arm64-memblock-init.js";
import type { BootState } from "./boot-state.js";
import type { BootInput, BootResult } from "./boot-types.js";
import { bootmemInit } from "./bootmem-init.js";
import { CrashkernelError, parseCrashkernel } from "./crashkernel.js";
import { mapMem } from "./map-mem.js";

export type { Bbml2, BootInput, BootMemory, BootResult, BootStep, CrashStrategy } from "./boot-types.js";
export { maxZonePhys } from "./zone-dma.js";

/**
 * rodata= (arch_parse_debug_rodata(), then set_debug_rodata()): rodata_enabled and rodata_full. A
 * value the release does not know is refused by both, so the defaults stay (the kernel warns).
 */
function rodataDecisions(s: BootState): void {
  const { policy, config, cmdline } = s.input;
  const arg = cmdline.rodata;
  const noalias = policy.rodataSyntax === "noalias";
  // 6.18+: rodata_full is true in pageattr.c whatever the configuration; before, its default is the config's.
  const fullDefault = noalias || config.rodataFullDefault;
  const known = arg === undefined || arg === "on" || arg === "off" || (noalias ? arg === "noalias" : arg === "full");
  if (!known) {
    s.notes.push(`rodata=${arg}: not a value ${policy.line} knows (${noalias ? "on, off, noalias" : "on, off, full"}): ` +
      `"Invalid option string for rodata", the default stays (rodata_full ${fullDefault ? "on" : "off"})`);
  }
  s.rodataEnabled = arg !== "off";
  if (!known || arg === undefined) s.rodataFull = fullDefault;
  else if (arg === "off" || arg === "noalias") s.rodataFull = false;
  else if (arg === "full") s.rodataFull = true;
  // rodata=on: full from 6.18; off before, except 6.0-6.6 before the fix (policy.rodataOnHonoured) where the default stays.
  else s.rodataFull = noalias ? true : policy.rodataOnHonoured ? false : fullDefault;
}

/** parse_early_param() and the configuration: what the boot decides before it maps anything. */
function earlyDecisions(s: BootState): number {
  const { policy, config, cmdline, memory } = s.input;
  rodataDecisions(s);
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
    rodataEnabled: true, rodataFull: false, debugPagealloc: false, kfenceLate: false, kpti: false,
    crashRequest: undefined, crashEarly: false, crashForcesPages: false,
    crashkernel: undefined, kfencePool: undefined, cma: undefined, alias: { base: 0n, size: 0n }, dataAlias: { base: 0n, size: 0n }, flags: 0, banks: [],
    steps: [], reasons: [], notes: [],
  };
  const kfenceInterval = earlyDecisions(s);
  arm64MemblockInitStep(s);
  mapMem(s, kfenceInterval);
  bootmemInit(s);
  linearMapSplitToPtes(s);
  kfenceInit(s);
  markLinearTextAliasRo(s);
  markRodataRo(s);
  invalidateCrashkernelSplitting(s);
  const failure = archKexecProtectCrashkres(s);
  crashShrinkMemory(s);
  const result: BootResult = {
    geometry: g, memstart: s.memstart, flags: s.flags, reasons: s.reasons, rodataFull: s.rodataFull,
    crashkernel: s.crashkernel, kfencePool: s.kfencePool, cma: s.cma, alias: s.alias, dataAlias: s.dataAlias, banks: s.banks,
    steps: s.steps, failure, notes: s.notes,
  };
  return { pt, result };
}
