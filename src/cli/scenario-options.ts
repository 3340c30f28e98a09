/**
 * The options every scenario command shares (--memmap, --kernel, --cmdline, --config, …) and how
 * they become a ScenarioInput. Bad values throw errors whose message is one line naming the input.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { type Command, Option } from "commander";
import { type Granule, SUPPORTED_VA_BITS } from "../geometry.js";
import type { Bbml2, CrashStrategy } from "../kernel/boot.js";
import { parseSize } from "../units.js";
import { DEFAULT_CONFIG, parseConfig } from "../kernel/config.js";
import { type MemoryMapFormat, parseMemoryMap } from "../memmap/index.js";
import type { ScenarioInput } from "../scenario.js";

/** The parsed options of a scenario command. */
export interface ScenarioFlags {
  memmap: string;
  format?: MemoryMapFormat;
  kernel: string;
  cmdline: string;
  config?: string;
  bbml2: Bbml2;
  granule?: string;
  vaBits?: string;
  kexecLoaded?: boolean;
  dmaBits?: string;
  crashStrategy?: CrashStrategy;
  crashShrink?: string;
  engine: "wasm" | "reference";
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
    .option("--kernel <release>", "kernel release (uname -r) or line: 5.10, 6.1.192, 6.18", "6.1")
    .option("--cmdline <text>", "kernel command line", "")
    .option("--config <file>", "kernel .config (/boot/config-$(uname -r)); default: arm64 defconfig values")
    .addOption(new Option("--bbml2 <cpus>", "v6.18: CPUs with BBML2_NOABORT").choices(["all", "boot", "none"]).default("none"))
    .option("--granule <size>", "page size: 4k, 16k or 64k (overrides --config)")
    .option("--va-bits <bits>", "VA bits (overrides --config)")
    .option("--kexec-loaded", "a crash kernel is loaded: arch_kexec_protect_crashkres() runs")
    .addOption(new Option("--crash-strategy <how>", "crashkernel vs the linear map: as the kernel does, or an option of the upstream discussion").choices(["kernel", "blocks-then-split", "early-firmware", "assume-1g-dma"]).default("kernel"))
    .option("--crash-shrink <size>", "write SIZE to /sys/kernel/kexec_crash_size after boot")
    .option("--dma-bits <bits>", "ZONE_DMA address bits from firmware (30 on a Raspberry Pi 4)", "32")
    .addOption(new Option("--engine <engine>", "engine").choices(["wasm", "reference"]).default("wasm"));
}

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
}

/** Turns the options into a ScenarioInput (reading and parsing the files they name). */
export function scenarioInput(f: ScenarioFlags): ScenarioInput {
  const isFile = existsSync(f.memmap);
  const looksShorthand = !isFile && /^[\d.]+[KMGTP]?@/i.test(f.memmap);
  if (!isFile && !looksShorthand) throw new UsageError(`--memmap ${f.memmap}: no such file, and not a shorthand like 8G@0x40000000`);
  const text = isFile ? readInput(f.memmap, "--memmap") : f.memmap;
  const memmap = parseMemoryMap(text, { source: isFile ? basename(f.memmap) : "<shorthand>", format: f.format ?? (looksShorthand ? "shorthand" : undefined) });
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
  return {
    memmap,
    kernel: f.kernel,
    crashStrategy: f.crashStrategy,
    crashShrinkTo,
    cmdline: f.cmdline,
    config,
    bbml2: f.bbml2,
    kexecLoaded: f.kexecLoaded ?? false,
    zoneDmaBits: dmaBits,
    engine: f.engine,
  };
}
