/**
 * `arm64-pgtable host`: the model against the machine it runs on. It reads what a running arm64
 * kernel shows of its inputs (/proc/iomem, /proc/cmdline, the release and /proc/version, the
 * .config in /boot) and, where debugfs has it, its real `kernel_page_tables`; then prints the
 * prediction (the boot-time Linear Mapping), its diff against the real dump and the costs.
 *
 * What the files cannot say is read off the real dump when there is one: the CPU's LPA2 (or LVA)
 * support, from where the Linear Mapping starts (PAGE_OFFSET = -(1 << vabits_actual)); the KASLR
 * offset, from how far its lowest mapping lies above the model's without KASLR; and, with KASLR,
 * whether KPTI is off (the CPU has E0PD), from the nG bit. Without a dump each is assumed, with a
 * note. What the running kernel changed after boot (read-only islands of module or BPF pages under
 * rodata=full) is not in the prediction: it shows as differences, and a note says so.
 */
import { InputFileError, readInputText } from "../input-file.js";
import { join } from "node:path";
import type { Command } from "commander";
import type { Granule } from "../geometry.js";
import { DEFAULT_CONFIG, type KernelConfig, parseConfig } from "../kernel/config.js";
import { type KernelRelease, parseKernelVersionText, parseRelease } from "../kernel/release.js";
import { vaBitsMin } from "../kernel/va-bits.js";
import { arm64MemstartAlign, parseMemoryMap } from "../memmap/index.js";
import { linearSections } from "../ptdump/diff.js";
import {
  type ParsedPtdump,
  type PtdumpDiff,
  type PtdumpDiffEntry,
  type PtdumpRange,
  type PtdumpSection,
  diffPtdump,
  findSection,
  firstMappedVa,
  flavourForRelease,
  formatLinearMap,
  kaslrOffsetFromDump,
  parsePtdump,
  renderPtdumpDiff,
  renderPtdumpDiffEntry,
} from "../ptdump/index.js";
import { type LinearMapSummary, scenarioJson, summarize } from "../report/summary.js";
import { summaryLines } from "../report/summary-text.js";
import { MemoryMapError } from "../memmap/errors.js";
import { type KernelImageLayout, parseKernelSymbols } from "../memmap/kernel-symbols.js";
import { type Scenario, type ScenarioInput, runScenario } from "../scenario.js";
import { emit, printNotes } from "./output.js";
import { UsageError } from "./scenario-options.js";

/** The options of `host`. */
export interface HostFlags {
  root: string;
  json?: boolean;
  output?: string;
  cpuLpa2?: boolean;
  cpuLva?: boolean;
  engine: "wasm" | "reference";
}

/** The files `host` reads, relative to the root. */
export const HOST_FILES = {
  iomem: "proc/iomem",
  cmdline: "proc/cmdline",
  release: "proc/sys/kernel/osrelease",
  version: "proc/version",
  ptdump: "sys/kernel/debug/kernel_page_tables",
  /** The image's section bounds (7.2+ remaps [__init_end, __bss_stop) in the linear map); root only. */
  kallsyms: "proc/kallsyms",
  /** Followed by the release. */
  configPrefix: "boot/config-",
} as const;

const hex = (v: bigint) => `0x${v.toString(16)}`;
const TOP = 1n << 64n;

/** Why a read failed, in a few words (readInputText's reason; on this machine root can read what a user cannot). */
function reason(e: unknown): string {
  if (!(e instanceof InputFileError)) return (e as Error).message.split("\n")[0];
  return e.reason === "permission denied" ? "permission denied (run as root)" : e.reason;
}

/** A file `host` needs: its text, or a one-line usage error naming it. */
function readRequired(path: string): string {
  try {
    return readInputText(path);
  } catch (e) {
    throw new UsageError(`host: ${path}: ${reason(e)}`);
  }
}

/** A file `host` can do without: its text, or why it could not be read. */
function readOptional(path: string): { text: string } | { missing: string } {
  try {
    return { text: readInputText(path) };
  } catch (e) {
    return { missing: reason(e) };
  }
}

/** The lowest line of `ranges` that starts at one of the PAGE_OFFSETs of `bits`, as its VA bits. */
function vaBitsOfDump(ranges: readonly PtdumpRange[], bits: readonly number[]): number | undefined {
  const at = new Map(bits.map((b) => [TOP - (1n << BigInt(b)), b]));
  for (const r of ranges) {
    const b = at.get(r.start);
    if (b !== undefined) return b;
  }
  return undefined;
}

/** The Linear Mapping section of a dump, or (a dump cut to its linear lines, no markers) its linear ranges as one. */
function linearSectionOf(dump: ParsedPtdump, ranges: PtdumpRange[]): PtdumpSection {
  return findSection(dump, "Linear Mapping") ?? { name: "Linear Mapping", open: undefined, close: undefined, ranges };
}

/** Whether the first mapped line of `ranges` carries nG (KPTI's non-global kernel mappings). */
function firstMappedHasNg(ranges: readonly PtdumpRange[]): boolean | undefined {
  const r = ranges.find((x) => x.attributes.length > 0);
  return r === undefined ? undefined : r.attributes.includes("NG");
}

/** A difference that is a read-only island the running kernel made: the prediction RW, the kernel ro, same level. */
function isRoIsland(e: PtdumpDiffEntry): boolean {
  if (e.kind !== "changed" || e.levelDiffers || e.a.memType !== e.b.memType) return false;
  const strip = (ws: readonly string[]) => ws.filter((w) => w !== "RW" && w !== "ro").join(" ");
  return e.a.attributes.includes("RW") && e.b.attributes.includes("ro") && strip(e.a.attributes) === strip(e.b.attributes);
}

/** What `host` found: the scenario, the prediction and the comparison. */
export interface HostResult {
  release: KernelRelease;
  /** The release given to the model (the stable release when /proc/version names it). */
  kernel: string;
  sc: Scenario;
  cpu: { lpa2: boolean; lva: boolean; e0pd: boolean };
  kaslrOffset: bigint | undefined;
  prediction: string;
  /** Undefined: no real dump to compare with. */
  diff: PtdumpDiff | undefined;
  /** Where the real dump was read (or looked for). */
  dumpPath: string;
  /** Differences that look like read-only islands made after boot. */
  islands: number;
  summary: LinearMapSummary;
  notes: string[];
}

/** Reads the machine's files under `flags.root` and runs the model against its real dump. */
export function runHost(flags: HostFlags): HostResult {
  const root = flags.root;
  const at = (p: string) => join(root, p);
  const notes: string[] = [];

  // The required inputs.
  const iomemPath = at(HOST_FILES.iomem);
  const iomemText = readRequired(iomemPath);
  const cmdlinePath = at(HOST_FILES.cmdline);
  const cmdline = readRequired(cmdlinePath).replace(/\0/g, " ").trim();
  const osrelease = readRequired(at(HOST_FILES.release)).trim();
  if (osrelease === "") throw new UsageError(`host: ${at(HOST_FILES.release)}: empty`);
  if (/^\s*0+-0+ : /m.test(iomemText) && !/^\s*0*[1-9a-f][0-9a-f]*-/im.test(iomemText.replace(/^\s*0+-0+ : .*$/gm, ""))) {
    throw new UsageError(`host: ${iomemPath}: every address reads 0 (the kernel hides them from users other than root: run as root)`);
  }

  // The release, with the stable patch level from /proc/version when the release is an ABI name.
  const versionPath = at(HOST_FILES.version);
  const version = readOptional(versionPath);
  let release: KernelRelease;
  try {
    release = parseRelease(osrelease);
  } catch (e) {
    throw new UsageError(`host: ${at(HOST_FILES.release)}: ${(e as Error).message}`);
  }
  if ("text" in version) {
    const line = version.text.split("\n").find((l) => l.startsWith("Linux version ")) ?? version.text.trim();
    let fromVersion: KernelRelease;
    try {
      fromVersion = parseKernelVersionText(line);
    } catch (e) {
      throw new UsageError(`host: ${versionPath}: ${(e as Error).message}`);
    }
    if (fromVersion.text.trim() !== osrelease) {
      notes.push(`host: ${versionPath} names release ${fromVersion.text.trim()}, not ${osrelease} as ${at(HOST_FILES.release)} does: the latter is used`);
    } else {
      release = fromVersion;
    }
  } else if (release.patchAssumed) {
    notes.push(`host: ${versionPath}: ${version.missing}: the stable patch level cannot be read`);
  }
  if (release.note) notes.push(`host: ${release.note}`);
  const kernel = release.patch !== undefined ? `${release.major}.${release.minor}.${release.patch}` : osrelease;

  // The .config.
  const configPath = at(`${HOST_FILES.configPrefix}${osrelease}`);
  const configRead = readOptional(configPath);
  let config: KernelConfig;
  let configSource: string | undefined;
  let randomizeBase = true; // arm64 defconfig: CONFIG_RANDOMIZE_BASE=y
  if ("text" in configRead) {
    configSource = `config-${osrelease}`;
    config = parseConfig(configRead.text, configSource);
    randomizeBase = /^CONFIG_RANDOMIZE_BASE=y\s*$/m.test(configRead.text);
  } else {
    config = { ...DEFAULT_CONFIG };
    notes.push(`host: ${configPath}: ${configRead.missing}: arm64 defconfig values are assumed for the build configuration`);
  }

  // The real dump.
  const dumpPath = at(HOST_FILES.ptdump);
  const dumpRead = readOptional(dumpPath);
  let real: { dump: ParsedPtdump; ranges: PtdumpRange[]; section: PtdumpSection } | undefined;
  if ("text" in dumpRead) {
    const dump = parsePtdump(dumpRead.text, dumpPath);
    const lin = linearSections(dump, dumpPath);
    const others = dump.lines.filter((l) => l.kind === "range").length - lin.ranges.length;
    if (others > 0) notes.push(`host: ${dumpPath}: its Linear Mapping section is compared (${others} lines of other sections are left out)`);
    else if (lin.note) notes.push(`host: ${lin.note}`);
    if (lin.ranges.length === 0) throw new UsageError(`host: ${dumpPath}: no range lines`);
    real = { dump, ranges: lin.ranges, section: linearSectionOf(dump, lin.ranges) };
  } else {
    notes.push(`host: ${dumpPath}: ${dumpRead.missing}: the prediction cannot be compared with the running kernel's tables (debugfs mounted, CONFIG_PTDUMP_DEBUGFS and root are needed)`);
  }

  // The CPU's large-VA feature: given, read off the dump, or assumed absent.
  const granule = config.granule as Granule;
  const feature = granule === 64 ? "FEAT_LVA" : "FEAT_LPA2";
  const flag = granule === 64 ? "--cpu-lva" : "--cpu-lpa2";
  const given = granule === 64 ? flags.cpuLva : flags.cpuLpa2;
  let large: boolean | undefined = given ? true : undefined;
  if (config.vaBits === 52) {
    const fallback = vaBitsMin(granule);
    const seen = real ? vaBitsOfDump(real.ranges, [52, fallback]) : undefined;
    if (seen !== undefined) {
      const dumpSays = seen === 52;
      const where = `${dumpPath}'s Linear Mapping starts at ${hex(TOP - (1n << BigInt(seen)))}, PAGE_OFFSET for ${seen}-bit VAs`;
      if (given && !dumpSays) notes.push(`${flag}: the real dump disagrees (${where}, so the CPU lacks ${feature}); ${flag} is followed`);
      else if (!given) notes.push(`host: ${where}: the CPU ${dumpSays ? "has" : "lacks"} ${feature}`);
      if (!given) large = dumpSays;
    } else if (!given) {
      notes.push(real
        ? `host: ${dumpPath}'s Linear Mapping starts at neither PAGE_OFFSET of a 52-bit build (52 or ${fallback} bits): the CPU is assumed to lack ${feature} (${flag} says it has it)`
        : `host: no real dump to read the VA size from: the CPU is assumed to lack ${feature} (${flag} says it has it)`);
      large = false;
    }
  }
  const cpu = { lpa2: granule !== 64 && (large ?? false), lva: granule === 64 && (large ?? false), e0pd: false };

  const memmap = parseMemoryMap(iomemText, { source: iomemPath, format: "iomem" });
  // The kernel image's section bounds, where /proc/kallsyms shows them (as root).
  const kallsymsPath = at(HOST_FILES.kallsyms);
  const kallsymsRead = readOptional(kallsymsPath);
  let kernelLayout: KernelImageLayout | undefined;
  if ("text" in kallsymsRead) {
    try {
      kernelLayout = parseKernelSymbols(kallsymsRead.text, kallsymsPath);
    } catch (e) {
      if (!(e instanceof MemoryMapError)) throw e;
      notes.push(`host: ${e.message}: the image's section bounds are taken from iomem`);
    }
  }
  const base: ScenarioInput = {
    memmap,
    kernelLayout,
    kernel,
    cmdline,
    config,
    configSource,
    cpu: large === undefined ? undefined : cpu,
    engine: flags.engine,
  };
  const flavour = flavourForRelease(release);
  // The command line's errors name the file it came from, not an option the user did not give.
  const boot = (input: ScenarioInput): Scenario => {
    try {
      return runScenario(input);
    } catch (e) {
      const m = /^--cmdline:\s*(.*)$/.exec((e as Error).message.split("\n")[0]);
      if (m) throw new UsageError(`host: ${cmdlinePath}: ${m[1]}`);
      throw e;
    }
  };

  // KASLR: nokaslr, or an offset read off the real dump (against the model without it), or assumed 0.
  const nokaslr = cmdline.split(/\s+/).includes("nokaslr");
  let kaslrOffset: bigint | undefined;
  if (nokaslr) {
    // The linear map is not moved; nothing to say.
  } else if (!randomizeBase) {
    notes.push(`host: CONFIG_RANDOMIZE_BASE is not set in ${configSource}: no KASLR, the linear map is not moved`);
  } else if (real) {
    const unmoved = boot({ ...base, kaslrOffset: 0n });
    const modelSection = findSection(parsePtdump(formatLinearMap(unmoved.pt, flavour)), "Linear Mapping");
    const unmovedVa = modelSection ? firstMappedVa(modelSection) : undefined;
    const align = arm64MemstartAlign(unmoved.boot.geometry.granule);
    const realVa = firstMappedVa(real.section);
    kaslrOffset = unmovedVa === undefined ? undefined : kaslrOffsetFromDump(real.section, unmovedVa, align);
    if (kaslrOffset !== undefined) {
      notes.push(`host: KASLR: the real dump's lowest mapping is at ${hex(realVa!)}, ${hex(kaslrOffset)} above the model's without KASLR (${hex(unmovedVa!)}): KASLR offset ${hex(kaslrOffset)} is used`);
    } else {
      notes.push(`host: KASLR: no offset could be read off the real dump (its lowest mapping ${realVa === undefined ? "does not exist" : `at ${hex(realVa)} is not a multiple of ${hex(align)} above the model's ${unmovedVa === undefined ? "(none)" : hex(unmovedVa)}`}): the linear map is taken as not moved`);
      kaslrOffset = 0n;
    }
  } else {
    notes.push("host: KASLR: no nokaslr on the command line and no real dump to read the offset from: KASLR is assumed not to move the linear map (offset 0)");
    kaslrOffset = 0n;
  }

  let sc = boot({ ...base, kaslrOffset });
  let prediction = formatLinearMap(sc.pt, flavour);
  let predicted = linearSections(parsePtdump(prediction, "prediction"), "prediction").ranges;

  // KASLR forces KPTI (non-global mappings, NG) unless the CPU has E0PD: the real dump shows which.
  if (real && kaslrOffset !== undefined && !/\bkpti=/.test(cmdline)) {
    const modelNg = firstMappedHasNg(predicted);
    const realNg = firstMappedHasNg(real.ranges);
    if (modelNg === true && realNg === false) {
      cpu.e0pd = true;
      sc = boot({ ...base, cpu, kaslrOffset });
      prediction = formatLinearMap(sc.pt, flavour);
      predicted = linearSections(parsePtdump(prediction, "prediction"), "prediction").ranges;
      notes.push(`host: the real dump's linear map is global (no NG) although KASLR would force KPTI: the CPU is taken to have E0PD${kaslrOffset === 0n ? " (or the firmware gave no KASLR seed)" : ""}`);
    }
  }
  if (real && firstMappedHasNg(predicted) === false && firstMappedHasNg(real.ranges) === true) {
    notes.push("host: the real dump's linear map is non-global (NG): KPTI is on in the running kernel (a CPU that needs it, or kpti=1), which the model does not infer; give kpti=1 on the command line of a scenario to model it");
  }

  let diff: PtdumpDiff | undefined;
  let islands = 0;
  if (real) {
    diff = diffPtdump(predicted, real.ranges);
    islands = diff.entries.filter(isRoIsland).length;
    if (diff.entries.length > 0) {
      notes.push(
        `host: runtime islands are expected differences: the prediction is the boot-time map, and pages the running kernel made read-only since (set_memory_ro() of module or BPF pages under rodata=full) show as ro ranges; ` +
          `${islands} of the ${diff.entries.length} differences look like that`,
      );
    }
  }
  return {
    release,
    kernel,
    sc,
    cpu: { lpa2: cpu.lpa2, lva: cpu.lva, e0pd: cpu.e0pd },
    kaslrOffset,
    prediction,
    diff,
    dumpPath,
    islands,
    summary: summarize(sc.pt, sc.linear.start, sc.linear.end),
    notes: [...notes, ...sc.notes],
  };
}

const LABELS = ["prediction", "kernel"] as const;

/** `host` as text: the prediction, the diff (as `diff` prints it), the costs (as `summary` prints them). */
export function hostText(h: HostResult): string {
  const parts = [
    `## prediction: the boot-time Linear Mapping of kernel ${h.kernel}${h.kaslrOffset ? ` (KASLR offset ${hex(h.kaslrOffset)})` : ""}`,
    h.prediction.trimEnd(),
    "",
    h.diff
      ? `## diff: the prediction against ${h.dumpPath} (Linear Mapping)\n${renderPtdumpDiff(h.diff, { labels: LABELS }).trimEnd()}`
      : `## diff: not possible: no readable ${h.dumpPath}`,
    "",
    "## costs",
    ...summaryLines(h.kernel, h.sc, h.summary),
  ];
  return `${parts.join("\n")}\n`;
}

/** `host --json`. */
export function hostJson(h: HostResult): unknown {
  const { notes: _notes, ...costs } = scenarioJson(h.summary, h.sc);
  return {
    release: h.release.text.trim(),
    kernel: h.kernel,
    cpu: h.cpu,
    kaslrOffset: h.kaslrOffset === undefined ? null : hex(h.kaslrOffset),
    prediction: h.prediction,
    diff: h.diff
      ? {
          dump: h.dumpPath,
          equal: h.diff.entries.length === 0,
          islands: h.islands,
          differences: h.diff.entries.map((e) => ({
            start: hex(e.start),
            end: hex(e.end),
            kind: e.kind,
            text: renderPtdumpDiffEntry(e, { labels: LABELS }),
          })),
        }
      : null,
    costs,
    notes: h.notes,
  };
}

/** Adds `host` to the program. */
export function addHostCommand(program: Command): void {
  program
    .command("host")
    .description("on a running arm64 machine: predict its linear map from /proc and /boot, compare it with the real kernel_page_tables (exit 1 when they differ) and print the costs")
    .addHelpText("after", "\nExample (as root on the machine):\n  arm64-pgtable host --json")
    .option("--root <dir>", "read /proc, /sys and /boot under DIR (a copy of a machine's files)", "/")
    .option("--json", "print the prediction, the diff, the costs and the notes as JSON")
    .option("-o, --output <file>", "write to a file (atomically) instead of stdout")
    .option("--cpu-lpa2", "the CPU has FEAT_LPA2 (otherwise read off the real dump, or assumed absent)")
    .option("--cpu-lva", "the CPU has FEAT_LVA, for 64K pages (otherwise read off the real dump, or assumed absent)")
    .option("--engine <engine>", "engine: wasm or reference", "wasm")
    .action((opts: HostFlags) => {
      if (opts.engine !== "wasm" && opts.engine !== "reference") throw new UsageError(`--engine ${opts.engine}: must be wasm or reference`);
      const h = runHost(opts);
      printNotes(h.notes);
      emit(opts.json ? `${JSON.stringify(hostJson(h))}\n` : hostText(h), opts.output);
      process.exitCode = h.diff && h.diff.entries.length > 0 ? 1 : 0;
    });
}
