/**
 * The options every scenario command shares (--memmap, --kernel, --cmdline, --config, …) and how
 * they become a ScenarioInput. Bad values throw errors whose message is one line naming the input.
 */
import { existsSync } from "node:fs";
import { InputFileError, readInputText } from "../input-file.js";
import { basename } from "node:path";
import { type Command, Option } from "commander";
import { type Granule, SUPPORTED_VA_BITS } from "../geometry.js";
import type { Bbml2, CrashStrategy } from "../kernel/boot.js";
import { parseSize } from "../units.js";
import { DEFAULT_CONFIG, parseConfig } from "../kernel/config.js";
import { policyFor } from "../kernel/policy.js";
import { parseKernelVersionText, parseRelease } from "../kernel/release.js";
import { parseDtsTree } from "../memmap/dts-tree.js";
import { type MemoryMapFormat, parseMemoryMap } from "../memmap/index.js";
import { parseKernelSymbols } from "../memmap/kernel-symbols.js";
import { type ScenarioInput, bbml2Refusal } from "../scenario.js";

/** The parsed options of a scenario command. */
export interface ScenarioFlags {
  memmap: string;
  format?: MemoryMapFormat;
  kernel?: string;
  /** Undefined when not given: a DTS memory map's /chosen bootargs is then the command line. */
  cmdline?: string;
  config?: string;
  bbml2: Bbml2;
  granule?: string;
  vaBits?: string;
  kexecLoaded?: boolean;
  cpuLpa2?: boolean;
  kernelVersion?: string;
  kernelSymbols?: string;
  kaslrOffset?: string;
  cpuLva?: boolean;
  dmaBits?: string;
  crashStrategy?: CrashStrategy;
  crashShrink?: string;
  engine: "wasm" | "reference";
  memoryBudget?: string;
}

/** A usage error of the CLI: one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Adds the scenario options to a command. */
export function addScenarioOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--memmap <file|shorthand>", "memory map: /proc/iomem, boot-log node ranges, .dts, JSON, or e.g. 8G@0x40000000")
    .addOption(new Option("--format <format>", "memory-map format (detected when omitted)").choices(["iomem", "bootlog", "dts", "json", "shorthand"]))
    .option("--kernel <release>", "kernel release (uname -r) or line: 5.10, 6.1.192, 6.18, 7.3 (default: the release --kernel-version names, else 6.1)")
    .option("--kernel-version <text>", "the text of /proc/version: the stable release behind a distribution ABI name (6.1.0-56-arm64)")
    .option("--kernel-symbols <file>", "System.map or /proc/kallsyms (as root): the image's section bounds (7.2+ remaps [__init_end, __bss_stop) read-only, 7.3 invalid)")
    .option("--kaslr-offset <size>", "KASLR is on and moved the linear map up by SIZE (a multiple of 1 GiB with 4K/16K pages, 512 MiB with 64K); 0: on, not moved")
    .option("--cmdline <text>", "kernel command line (default: a .dts memory map's /chosen bootargs, else none)")
    .option("--config <file>", "kernel .config (/boot/config-$(uname -r)); default: arm64 defconfig values")
    .addOption(new Option("--bbml2 <cpus>", "v6.18: CPUs with BBML2_NOABORT").choices(["all", "boot", "none"]).default("none"))
    .option("--granule <size>", "page size: 4k, 16k or 64k (overrides --config)")
    .option("--va-bits <bits>", "VA bits the kernel is built for (overrides --config); 52 needs the CPU feature below")
    .option("--cpu-lpa2", "the CPU has FEAT_LPA2: a 52-bit 4K/16K kernel runs with 52-bit VAs (else 48/47)")
    .option("--cpu-lva", "the CPU has FEAT_LVA: a 52-bit 64K kernel runs with 52-bit VAs (else 48)")
    .option("--kexec-loaded", "a crash kernel is loaded: arch_kexec_protect_crashkres() runs")
    .addOption(new Option("--crash-strategy <how>", "crashkernel vs the linear map: as the kernel does, or an option of the upstream discussion").choices(["kernel", "blocks-then-split", "early-firmware", "assume-1g-dma"]))
    .option("--crash-shrink <size>", "write SIZE to /sys/kernel/kexec_crash_size after boot")
    .option("--dma-bits <bits>", "ZONE_DMA address bits from firmware (30 on a Raspberry Pi 4)", "32")
    .addOption(new Option("--engine <engine>", "engine").choices(["wasm", "reference"]).default("wasm"))
    .option("--memory-budget <size>", "simulator memory the build may use, e.g. 512M (default: what the machine has free); more fails before it is taken");
}

function readInput(path: string, what: string): string {
  try {
    return readInputText(path);
  } catch (e) {
    if (e instanceof InputFileError) throw new UsageError(`${what} ${path}: ${e.reason}`);
    throw e;
  }
}

/** The `bootargs` of a device-tree source's `/chosen` node, if it has one. */
export function dtsBootargs(text: string): string | undefined {
  let root;
  try {
    root = parseDtsTree(text).root;
  } catch {
    return undefined;
  }
  const chosen = root.children.find((c) => c.name === "chosen");
  const p = chosen?.props.get("bootargs");
  if (!p) return undefined;
  const parts = p.values.filter((v) => v.kind === "string").map((v) => (v as { text: string }).text);
  return parts.length > 0 ? parts.join(" ") : undefined;
}

/** Turns the options into a ScenarioInput (reading and parsing the files they name). */
export function scenarioInput(f: ScenarioFlags): ScenarioInput {
  // --kernel's default: the release /proc/version names (its "Linux version" word), else 6.1.
  let kernel = f.kernel;
  if (kernel === undefined && f.kernelVersion !== undefined) {
    try {
      kernel = parseKernelVersionText(f.kernelVersion).text;
    } catch {
      // The scenario refuses the text itself, with its own message.
    }
  }
  kernel ??= "6.1";
  const isFile = existsSync(f.memmap);
  const looksShorthand = !isFile && /^[\d.]+[KMGTP]?@/i.test(f.memmap);
  if (!isFile && !looksShorthand) throw new UsageError(`--memmap ${f.memmap}: no such file, and not a shorthand like 8G@0x40000000`);
  const text = isFile ? readInput(f.memmap, "--memmap") : f.memmap;
  const memmap = parseMemoryMap(text, { source: isFile ? basename(f.memmap) : "<shorthand>", format: f.format ?? (looksShorthand ? "shorthand" : undefined) });
  const notes: string[] = [];
  let cmdline = f.cmdline;
  if (memmap.format === "dts") {
    // The kernel takes its command line from /chosen bootargs (unless CONFIG_CMDLINE_FORCE).
    const bootargs = dtsBootargs(text);
    if (bootargs !== undefined && cmdline === undefined) {
      cmdline = bootargs;
      notes.push(`--memmap ${memmap.source}: /chosen bootargs is the command line, as the kernel reads it: "${bootargs}"`);
    } else if (bootargs !== undefined && bootargs.trim() !== (cmdline ?? "").trim()) {
      notes.push(`--memmap ${memmap.source}: /chosen bootargs "${bootargs}" is ignored: --cmdline replaces it (as CONFIG_CMDLINE_FORCE would)`);
    }
  }
  if (f.bbml2 !== undefined && f.bbml2 !== "none") {
    let bbml2 = true;
    try {
      bbml2 = policyFor(parseRelease(kernel)).bbml2;
    } catch {
      // An unknown release is refused by the scenario itself, with its own message.
    }
    if (!bbml2) throw new UsageError(`--bbml2 ${f.bbml2}: ${bbml2Refusal(kernel)}`);
  }
  const config = f.config ? parseConfig(readInput(f.config, "--config"), basename(f.config)) : { ...DEFAULT_CONFIG };
  if (f.granule !== undefined) {
    const m = /^(4|16|64)k?$/i.exec(f.granule);
    if (!m) throw new UsageError(`--granule ${f.granule}: must be 4k, 16k or 64k`);
    config.granule = Number(m[1]) as Granule;
  }
  if (f.vaBits !== undefined) {
    const bits = Number(f.vaBits);
    if (!SUPPORTED_VA_BITS[config.granule].includes(bits)) {
      throw new UsageError(`--va-bits ${f.vaBits}: ${config.granule}K pages offer ${SUPPORTED_VA_BITS[config.granule].join(", ")}`);
    }
    config.vaBits = bits;
  }
  const dmaBits = Number(f.dmaBits ?? "32");
  if (!Number.isInteger(dmaBits) || dmaBits < 20 || dmaBits > 48) throw new UsageError(`--dma-bits ${f.dmaBits}: must be a whole number from 20 to 48`);
  let crashShrinkTo: bigint | undefined;
  if (f.crashShrink !== undefined) {
    try {
      crashShrinkTo = parseSize(f.crashShrink);
    } catch (e) {
      throw new UsageError(`--crash-shrink ${f.crashShrink}: ${(e as Error).message}`);
    }
  }
  let kaslrOffset: bigint | undefined;
  if (f.kaslrOffset !== undefined) {
    try {
      kaslrOffset = /^0x[0-9a-f]+$/i.test(f.kaslrOffset) ? BigInt(f.kaslrOffset) : f.kaslrOffset === "0" ? 0n : parseSize(f.kaslrOffset);
    } catch (e) {
      throw new UsageError(`--kaslr-offset ${f.kaslrOffset}: ${(e as Error).message}`);
    }
  }
  let memoryBudget: number | undefined;
  if (f.memoryBudget !== undefined) {
    try {
      memoryBudget = Number(parseSize(f.memoryBudget));
    } catch (e) {
      throw new UsageError(`--memory-budget ${f.memoryBudget}: ${(e as Error).message}`);
    }
    if (memoryBudget === 0) throw new UsageError(`--memory-budget ${f.memoryBudget}: must be above 0`);
  }
  const kernelLayout = f.kernelSymbols ? parseKernelSymbols(readInput(f.kernelSymbols, "--kernel-symbols"), basename(f.kernelSymbols)) : undefined;
  return {
    memmap,
    kernel,
    kernelVersion: f.kernelVersion,
    kernelLayout,
    kaslrOffset,
    crashStrategy: f.crashStrategy,
    crashShrinkTo,
    cmdline: cmdline ?? "",
    config,
    configSource: f.config ? basename(f.config) : undefined,
    notes,
    bbml2: f.bbml2,
    kexecLoaded: f.kexecLoaded ?? false,
    cpu: f.cpuLpa2 || f.cpuLva ? { lpa2: f.cpuLpa2 ?? false, lva: f.cpuLva ?? false } : undefined,
    zoneDmaBits: dmaBits,
    engine: f.engine,
    memoryBudget,
  };
}
