/**
 * A scenario: a machine's memory map, a kernel release with its configuration and command line,
 * booted on an engine. The CLI, the reports and the sweep all start here.
 */
import type { MemoryMap } from "./memmap/model.js";
import { type Bbml2, type BootResult, type CrashStrategy, bootLinearMap } from "./kernel/boot.js";
import { InvalidArgumentError } from "./errors.js";
import { type Cmdline, parseCmdline } from "./kernel/cmdline.js";
import { DEFAULT_CONFIG, type KernelConfig } from "./kernel/config.js";
import { CrashkernelError, type CrashkernelRequest, parseCrashkernel } from "./kernel/crashkernel.js";
import { type KernelPolicy, policyFor } from "./kernel/policy.js";
import { parseKernelVersionText, parseRelease } from "./kernel/release.js";
import { type CpuVaFeatures, runtimeVaBits } from "./kernel/va-bits.js";
import type { KernelImageLayout } from "./memmap/kernel-symbols.js";
import { ReferencePageTable } from "./reference/index.js";
import type { PageTableEngine } from "./types.js";
import { formatSize } from "./units.js";
import { WasmPageTable } from "./wasm/page-table.js";

/** What a scenario is made of. */
export interface ScenarioInput {
  memmap: MemoryMap;
  /** A release as `uname -r` prints it, or a line: 6.1, 6.18. */
  kernel: string;
  /** The text of /proc/version: it names the stable release where `uname -r` gives an ABI name (6.1.0-56-arm64). */
  kernelVersion?: string;
  cmdline?: string;
  config?: KernelConfig;
  /** Where `config` was read (a file name), for the notes; undefined: arm64 defconfig's values. */
  configSource?: string;
  /**
   * The CPU's large-VA features. A kernel built with CONFIG_ARM64_VA_BITS=52 runs with 52-bit VAs
   * only on a CPU with FEAT_LPA2 (4K, 16K pages) or FEAT_LVA (64K); otherwise with 48 (16K: 47).
   * Not given: assumed absent, with a note when the configuration asks for 52 bits.
   */
  cpu?: Partial<CpuVaFeatures>;
  /**
   * KASLR: the firmware gave a seed and the command line has no `nokaslr`; the value is how far
   * the linear map moved up (a multiple of ARM64_MEMSTART_ALIGN; `kaslrOffsetFromDump()` reads it
   * off a real dump). Undefined: KASLR off. KASLR also forces KPTI unless the CPU has E0PD.
   */
  kaslrOffset?: bigint;
  /**
   * The kernel image's section bounds (parseKernelSymbols() of System.map or /proc/kallsyms). 7.2
   * remaps [__init_end, __bss_stop) read-only in the linear map, 7.3 invalid; without them __init_end is taken as
   * iomem's "Kernel data" start (_sdata) and __bss_stop as _end, with a note.
   */
  kernelLayout?: KernelImageLayout;
  bbml2?: Bbml2;
  kexecLoaded?: boolean;
  /** How the crashkernel meets the linear map (default: as the release does). */
  crashStrategy?: CrashStrategy;
  /** Shrink the crashkernel through /sys/kernel/kexec_crash_size after boot. */
  crashShrinkTo?: bigint;
  /** ZONE_DMA's address bits from firmware (30 on a Raspberry Pi 4; default 32). */
  zoneDmaBits?: number;
  engine?: "wasm" | "reference";
  /**
   * Build on this table instead of a new one (`engine` is then ignored): the warm rebuild, with a
   * table the same scenario built and `reset()`. Its geometry must be the config's (checked); its
   * table attributes and safe rule are the release's only if the same release built it.
   */
  pageTable?: PageTableEngine;
  /**
   * Build on a new table in this wasm engine's instance, reusing its memory (the engine given is
   * disposed): what the sweep does between points, so that memory is not faulted in again.
   */
  recycle?: WasmPageTable;
  /** The wasm engine's memory budget in bytes (WasmPageTableOptions.memoryBudget; default: what is free). */
  memoryBudget?: number;
  /** Notes the caller already has about its inputs (e.g. where the command line came from); kept first. */
  notes?: readonly string[];
}

/** A booted scenario. */
export interface Scenario {
  pt: PageTableEngine;
  policy: KernelPolicy;
  boot: BootResult;
  /** The linear map's VA range [PAGE_OFFSET, PAGE_END). */
  linear: { start: bigint; end: bigint };
  /**
   * One line each: every input or option that did not change the result, and why (the CLI prints
   * them on stderr as `note: …` and in `--json` as `notes`), the memory map's parser notes, and the
   * boot model's own notes.
   */
  notes: string[];
}

/** Where the kernel image lies when the memory map does not say: as QEMU's virt machine loads it. */
export const DEFAULT_KERNEL_LAYOUT = {
  /** `_text` above the start of the first bank (the arm64 boot protocol's 2 MiB alignment). */
  textOffset: 2n << 20n,
  /** `_stext - _text`: the 64 KiB head (SEGMENT_ALIGN). */
  head: 64n << 10n,
  /** `__init_begin - _stext` of a Debian 6.1 arm64 kernel. */
  code: 0x1a0_0000n,
  /** `_end - __init_begin`. */
  rest: 0x80_0000n,
};

/** Boots `input` and returns the table and what the boot decided. */
export function runScenario(input: ScenarioInput): Scenario {
  const release = input.kernelVersion !== undefined ? parseKernelVersionText(input.kernelVersion) : parseRelease(input.kernel);
  const policy = policyFor(release);
  const built = input.config ?? { ...DEFAULT_CONFIG };
  const cpu: CpuVaFeatures = { lpa2: input.cpu?.lpa2 ?? false, lva: input.cpu?.lva ?? false };
  const config: KernelConfig = { ...built, vaBits: runtimeVaBits(built.granule, built.vaBits, cpu) };
  const bbml2 = input.bbml2 ?? "none";
  if (bbml2 !== "none" && !policy.bbml2) throw new InvalidArgumentError("bbml2", `"${bbml2}" ${bbml2Refusal(input.kernel)}`);
  const cmdline = parseCmdline(input.cmdline ?? "");
  // nokaslr wins over a KASLR offset (kaslr_early_init() sees it first).
  const kaslrOff = cmdline.nokaslr;
  const m = input.memmap;
  const first = m.memory[0];
  const L = DEFAULT_KERNEL_LAYOUT;
  // "Kernel code" starts where the release's alias starts (_text in 5.10 and 6.12, _stext in 6.1):
  // never derived from the other with a fixed head.
  const K = input.kernelLayout;
  const head = policy.aliasStart === "_stext" ? (K ? K.stext : L.head) : 0n;
  const text = m.kernel ? m.kernel.base - head : first.base + L.textOffset;
  const stext = K ? text + K.stext : text + L.head;
  const initBegin = m.kernel ? m.kernel.base + m.kernel.size : K ? text + K.initBegin : stext + L.code;
  const end = m.kernelData ? m.kernelData.base + m.kernelData.size : K ? text + K.end : initBegin + L.rest;
  // __init_end is _sdata (vmlinux.lds.S: "Kernel data" starts there); __bss_stop only a symbol table knows.
  const initEnd = K ? text + K.initEnd : m.kernelData ? m.kernelData.base : initBegin;
  const bssStop = K ? text + K.bssStop : end;
  const layoutNotes: string[] = [];
  if (!K && policy.dataAlias !== "mapped") {
    layoutNotes.push(`kernel ${input.kernel}: __bss_stop not known (give the kernel's System.map or /proc/kallsyms): the data/bss alias made ${policy.dataAlias} is taken to run to _end, ` +
      "which also covers the image's own page tables after __bss_stop" +
      (m.kernelData ? "" : `; nor __init_end (no "Kernel data" in the memory map): taken as __init_begin, so the init section is counted in too`));
  }
  const { pt, result } = bootLinearMap(
    {
      policy,
      config,
      cmdline,
      memory: {
        memory: m.memory.map((b) => ({ base: b.base, size: b.size, nid: b.nid })),
        nomap: [...m.nomap],
        reserved: [...m.reserved],
        kernel: { text, stext, initBegin, initEnd, bssStop, end },
        zoneDmaBits: input.zoneDmaBits ?? 32,
      },
      bbml2: input.bbml2,
      kexecLoaded: input.kexecLoaded,
      crashStrategy: input.crashStrategy,
      crashShrinkTo: input.crashShrinkTo,
      crashkernelAt: m.crashkernel,
      kaslrOffset: kaslrOff ? undefined : input.kaslrOffset,
      cpuE0pd: input.cpu?.e0pd ?? false,
    },
    (o) => {
      const given = input.pageTable;
      if (given && (given.geometry.granule !== o.granule || given.geometry.vaBits !== o.vaBits)) {
        throw new RangeError(`pageTable: ${given.geometry.granule}K/${given.geometry.vaBits}-bit table given for a ${o.granule}K/${o.vaBits}-bit configuration`);
      }
      if (given) return given;
      if (input.engine === "reference") return new ReferencePageTable(o);
      const options = { ...o, memoryBudget: input.memoryBudget };
      return input.recycle ? WasmPageTable.recycled(input.recycle, options) : new WasmPageTable(options);
    },
  );
  const start = result.geometry.ttbr1Base;
  const notes = scenarioNotes(input, policy, config, cmdline, result);
  if (release.note) notes.unshift(`--kernel ${release.note}`);
  notes.push(...layoutNotes);
  if (kaslrOff && input.kaslrOffset !== undefined) notes.push(`--kaslr-offset 0x${input.kaslrOffset.toString(16)}: no effect: nokaslr is on the command line`);
  if (built.vaBits !== config.vaBits || (built.vaBits === 52 && input.cpu === undefined)) {
    const feature = built.granule === 64 ? "FEAT_LVA" : "FEAT_LPA2";
    const flag = built.granule === 64 ? "--cpu-lva" : "--cpu-lpa2";
    notes.push(built.vaBits !== config.vaBits
      ? `CONFIG_ARM64_VA_BITS=52: the kernel runs with ${config.vaBits}-bit VAs on a CPU without ${feature}${input.cpu === undefined ? ` (assumed; give ${flag} for one that has it)` : ""}`
      : `CONFIG_ARM64_VA_BITS=52: the kernel runs with 52-bit VAs, the CPU having ${feature}`);
  }
  return { pt, policy, boot: result, linear: { start, end: start + (1n << BigInt(result.geometry.vaBits - 1)) }, notes };
}

/** Why `--bbml2 all|boot` is refused on a release without the BBML2 series. */
export function bbml2Refusal(kernel: string): string {
  return `needs v6.18 (BBML2_NOABORT split on demand, commit a660194dd101); kernel ${kernel} does not have it, so the option cannot apply`;
}

const mib = (v: bigint) => `${v >> 20n} MiB`;
const hexOf = (v: bigint) => `0x${v.toString(16)}`;

/**
 * The notes of a booted scenario: what each input did not change, and why. They mirror the boot
 * model's decisions from its inputs and outputs (the model itself only notes what it changed).
 */
function scenarioNotes(input: ScenarioInput, policy: KernelPolicy, config: KernelConfig, cmdline: Cmdline, boot: BootResult): string[] {
  const notes: string[] = [...(input.notes ?? [])];
  const m = input.memmap;
  const release = `kernel ${input.kernel}`;
  const configWhere = input.configSource === undefined ? "in arm64 defconfig (no --config given: pass the kernel's .config with --config)" : `in ${input.configSource}`;
  for (const n of m.notes) notes.push(`--memmap ${m.source}: ${n}`);

  // The command line.
  if (cmdline.ignored.length > 0) {
    notes.push(`command line: ${cmdline.ignored.length === 1 ? "1 parameter does" : `${cmdline.ignored.length} parameters do`} not shape the linear map and ${cmdline.ignored.length === 1 ? "is" : "are"} ignored: ${cmdline.ignored.join(" ")}`);
  }
  const crashText = cmdline.crashkernel.map((v) => `crashkernel=${v}`).join(" ");
  let req: CrashkernelRequest | undefined;
  let crashParseNote = false;
  if (cmdline.crashkernel.length > 0 && !config.kexecCore) {
    notes.push(`${crashText}: no effect: CONFIG_KEXEC_CORE is not set ${configWhere}, so no crash kernel is reserved`);
  } else if (cmdline.crashkernel.length > 0) {
    const systemRam = m.memory.reduce((s, b) => s + b.size, 0n);
    try {
      req = parseCrashkernel(cmdline.crashkernel, systemRam, policy);
      if (req === undefined) notes.push(`${crashText}: asks for 0 bytes on this machine (${mib(systemRam)} of memory): no crash kernel reserved`);
    } catch (e) {
      if (!(e instanceof CrashkernelError)) throw e;
      crashParseNote = true;
      notes.push(`${crashText}: invalid (${e.message.replace(/^crashkernel: /, "")}): no crash kernel reserved, as parse_crashkernel() fails (the kernel warns and boots on)`);
    }
  }
  const ck = boot.crashkernel && boot.crashkernel.size > 0n ? boot.crashkernel : undefined;
  if (req && !ck && boot.crashkernel) {
    notes.push(`${crashText}: no crash kernel reserved: ${boot.crashkernel.log[boot.crashkernel.log.length - 1] ?? "the reservation failed"}`);
  }
  if (ck && (input.crashStrategy ?? "kernel") === "kernel" && (policy.crash === "none" || policy.crash === "late-blocks")) {
    notes.push(`${crashText}: reserved at ${hexOf(ck.base)}+${mib(ck.size)}, but on ${release} it leaves the linear map as it is (${policy.crash === "none" ? "from v6.4 the region is not mapped apart" : "reserved after the linear map is built, which keeps its blocks"})`);
  }
  // The memory map's "Crash kernel" against the command line.
  if (m.crashkernel) {
    const at = `"Crash kernel" ${hexOf(m.crashkernel.base)}+${mib(m.crashkernel.size)}`;
    const used = ck !== undefined && ck.base === m.crashkernel.base && ck.size === m.crashkernel.size;
    if (!req) {
      if (!used) notes.push(`--memmap ${m.source}: ${at} is ignored: the command line reserves no crash kernel${cmdline.crashkernel.length === 0 ? " (no crashkernel=)" : ""}`);
    } else {
      const asked = ((req.size + 4095n) / 4096n) * 4096n;
      const sizeDiffers = asked !== m.crashkernel.size;
      const baseDiffers = req.base !== undefined && req.base !== 0n && req.base !== m.crashkernel.base;
      if (sizeDiffers || baseDiffers) {
        const wants = `${crashText} asks for ${mib(asked)}${baseDiffers ? ` at ${hexOf(req.base!)}` : ""}`;
        notes.push(used
          ? `${wants} but --memmap ${m.source} has ${at}: the memory map's reservation is used (what the running kernel holds)`
          : `${wants} but --memmap ${m.source} has ${at}: the command line's is used${ck ? `, placed by the model at ${hexOf(ck.base)}+${mib(ck.size)}` : ""}`);
      } else if (!used) {
        notes.push(`--memmap ${m.source}: ${at} is not where the model reserves ${crashText}: ${ck ? `the model's ${hexOf(ck.base)}+${mib(ck.size)} is used` : "the model reserves none"}`);
      }
    }
  }

  if (cmdline.rodata === "on" && !policy.rodataOnHonoured && config.rodataFullDefault) {
    notes.push(`rodata=on: no effect on ${release}: with CONFIG_RODATA_FULL_DEFAULT_ENABLED it keeps rodata_full on (until acfa60dbe038: v6.7, 6.1.65)`);
  }
  if (cmdline.debugPagealloc !== undefined && !config.debugPagealloc) {
    notes.push(`debug_pagealloc=${cmdline.debugPagealloc ? "on" : "off"}: no effect: CONFIG_DEBUG_PAGEALLOC is not set ${configWhere}`);
  }
  if (cmdline.kfenceSampleInterval !== undefined) {
    const kf = `kfence.sample_interval=${cmdline.kfenceSampleInterval}`;
    if (policy.kfence === "absent") notes.push(`${kf}: no effect: KFENCE came to arm64 in v5.12; ${release} has none`);
    else if (!config.kfence) notes.push(`${kf}: no effect: CONFIG_KFENCE is not set ${configWhere}`);
    else if (policy.kfence === "all-pages") notes.push(`${kf}: no effect on the linear map: before the early KFENCE pool (v6.4, 6.1.65), CONFIG_KFENCE=y maps it page by page whatever the interval`);
  }
  if (cmdline.kpti !== undefined && !config.unmapKernelAtEl0) {
    notes.push(`kpti=${cmdline.kpti ? "1" : "0"}: no effect: CONFIG_UNMAP_KERNEL_AT_EL0 is not set ${configWhere}`);
  }
  if (cmdline.cma !== undefined) {
    if (!config.dmaCma) notes.push(`cma=${cmdline.cma}: no effect: CONFIG_DMA_CMA is not set ${configWhere}`);
    else if (!ck) notes.push(`cma=${cmdline.cma}: no effect on the linear map: the CMA area is mapped as the rest of memory and only moves a crashkernel reserved after it, and there is none`);
  }

  // The options.
  const bbml2 = input.bbml2 ?? "none";
  if (bbml2 !== "none") {
    const rodataFull = cmdline.rodata === undefined || (cmdline.rodata === "on" && !policy.rodataOnHonoured) ? config.rodataFullDefault : cmdline.rodata === "full";
    const interval = cmdline.kfenceSampleInterval ?? config.kfenceSampleInterval;
    const kfenceLate = config.kfence && (policy.kfence === "all-pages" || (policy.kfence === "early-pool" && interval === 0));
    const debugPagealloc = config.debugPagealloc && (cmdline.debugPagealloc ?? config.debugPageallocDefault);
    if (debugPagealloc) notes.push(`--bbml2 ${bbml2}: no effect: debug_pagealloc maps the linear map page by page whatever the CPUs support`);
    else if (!rodataFull && !kfenceLate) notes.push(`--bbml2 ${bbml2}: no effect: nothing asks for page mappings (rodata=full is off and KFENCE has no late pool), so the map keeps its blocks either way`);
  }
  if (input.kexecLoaded) {
    if (!policy.protectsCrashkres) notes.push(`--kexec-loaded: no effect on ${release}: arm64 no longer defines arch_kexec_protect_crashkres() from v6.4 (the generic one does nothing), so the crashkernel stays mapped as it is`);
    else if (!ck) notes.push("--kexec-loaded: no effect: there is no crashkernel reservation to protect");
  }
  if (input.crashShrinkTo !== undefined && !ck) {
    notes.push(`--crash-shrink ${formatSize(input.crashShrinkTo)}: no effect: there is no crashkernel reservation to shrink`);
  }
  const strategy = input.crashStrategy ?? "kernel";
  if (strategy !== "kernel" && !req) {
    notes.push(`--crash-strategy ${strategy}: no effect: ${cmdline.crashkernel.length === 0 ? "no crashkernel= on the command line" : "no crash kernel is reserved"}`);
  }
  const dmaBits = input.zoneDmaBits ?? 32;
  if (dmaBits !== 32) {
    if (!config.zoneDma) notes.push(`--dma-bits ${dmaBits}: no effect: CONFIG_ZONE_DMA is not set ${configWhere}`);
    else if (!ck) notes.push(`--dma-bits ${dmaBits}: no effect on the linear map: the DMA limit only places a crashkernel (and CMA, mapped as the rest of memory), and there is none`);
  }

  // The boot model's own notes; a crashkernel= parse failure is told above already.
  for (const n of boot.notes) if (!(crashParseNote && /^crashkernel\b/.test(n))) notes.push(n);
  return notes.map((n) => n.replace(/\s*\n\s*/g, " "));
}
