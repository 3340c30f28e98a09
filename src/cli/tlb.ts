/**
 * `arm64-pgtable tlb`: the run-time model on one machine. Builds the linear map as the scenario
 * options say, runs a workload (or a trace) through a core's TLBs and walk cache, and prints misses
 * per thousand accesses per level, walks, memory references per walk and estimated cycles; with
 * --compare-policies, the same workload under each of the sweep's policies, side by side.
 */
import cliProgress from "cli-progress";
import { type Command, InvalidArgumentError as CommanderArgError, Option } from "commander";
import { InvalidArgumentError } from "../errors.js";
import { columns } from "../report/columns.js";
import { runScenario, type ScenarioInput } from "../scenario.js";
import { POLICIES, policyConfig } from "../sweep/policies.js";
import type { TlbConfig } from "../tlb/config.js";
import { CORES, corePreset } from "../tlb/cores.js";
import { runTlb, type TlbRunResult } from "../tlb/run.js";
import { emit, printNotes } from "./output.js";
import { type ScenarioFlags, UsageError, addScenarioOptions, scenarioInput } from "./scenario-options.js";

interface TlbFlags extends ScenarioFlags {
  core: string;
  workload: string;
  accesses: number;
  seed: bigint;
  traceFormat?: "text" | "raw";
  latency?: string;
  comparePolicies?: boolean;
  json?: boolean;
  output?: string;
}

function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new CommanderArgError(`"${value}" is not a whole number above 0 (1e8 is fine)`);
  return n;
}

function seedArg(value: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(value)) throw new CommanderArgError(`"${value}" is not a number`);
  return BigInt.asUintN(64, BigInt(value));
}

/** Applies `--latency l2=5,walk-ref=40` to a preset's configuration. */
export function withLatencies(config: TlbConfig, text: string | undefined): TlbConfig {
  if (text === undefined) return config;
  const c = structuredClone(config);
  for (const part of text.split(",")) {
    const m = /^([\w-]+)=(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m) throw new UsageError(`--latency ${text}: "${part}" is not NAME=CYCLES (walk-ref=20, l2=3)`);
    const cycles = Number(m[2]);
    if (m[1].toLowerCase() === "walk-ref") c.walkRefCycles = cycles;
    else {
      const level = c.levels.find((l) => l.name.toLowerCase() === m[1].toLowerCase());
      if (!level) throw new UsageError(`--latency ${text}: no level "${m[1]}" (walk-ref, ${c.levels.map((l) => l.name.toLowerCase()).join(", ")})`);
      level.hitCycles = cycles;
    }
  }
  return c;
}

/** One row: a policy (or the given scenario) and its run. */
interface Row {
  name: string;
  title: string;
  result?: TlbRunResult;
  skipped?: string;
}

const fixed = (v: number, d = 1) => v.toFixed(d);

function rowsTable(rows: Row[]): string {
  const levels = rows.find((r) => r.result)?.result?.counts.levels.map((l) => l.name) ?? [];
  const head = ["policy", ...levels.map((n) => `${n} MPKI`), "walks/1k", "refs/walk", "cycles/access"];
  const body = rows.map((r) => {
    if (!r.result) return [r.name, ...levels.map(() => "—"), "—", "—", r.skipped ?? "—"];
    const m = r.result.metrics;
    return [r.name, ...m.mpki.map((x) => fixed(x.value)), fixed(m.walksPerKilo), fixed(m.refsPerWalk, 2), fixed(m.cyclesPerAccess, 2)];
  });
  return columns([head, ...body]);
}

/** Adds the `tlb` command. */
export function addTlbCommand(program: Command): void {
  addScenarioOptions(program.command("tlb"))
    .description("run a workload through a core's TLBs and walk cache over the simulated linear map: MPKI per level, walks, cycles")
    .addOption(new Option("--core <name>", "core preset").choices(Object.keys(CORES)).default("neoverse-n1"))
    .option(
      "--workload <spec>",
      "uniform | ws:SIZE[@OFFSET] | seq[:STRIDE[:SIZE@OFFSET]] | zipf:S[:SIZE@OFFSET] | mix:W*A+W*B… | trace:FILE (offsets into the mapped bytes)",
      "uniform",
    )
    .addOption(new Option("--accesses <n>", "accesses to simulate (a trace: at most)").argParser(countArg).default(1_000_000, "1e6"))
    .addOption(new Option("--seed <n>", "seed of the workload and of random replacement").argParser(seedArg).default(1n, "1"))
    .addOption(new Option("--trace-format <format>", "trace:FILE format (default: by name and content)").choices(["text", "raw"]))
    .option("--latency <list>", "cycles: walk-ref=N (per walk memory reference), <level>=N (a lookup reaching that level), e.g. l2=3,walk-ref=40")
    .option("--compare-policies", "also run the same workload under each of the sweep's policies")
    .option("--json", "print JSON")
    .option("-o, --output <file>", "write to a file (atomically) instead of stdout")
    .addHelpText("after", "\nExample:\n  arm64-pgtable tlb --memmap 64G@0x80000000 --core neoverse-n1 --workload zipf:1.1 --accesses 1e7 --compare-policies")
    .action((opts: TlbFlags) => {
      if (opts.traceFormat !== undefined && !opts.workload.startsWith("trace:")) {
        throw new UsageError(`--trace-format ${opts.traceFormat}: applies to a trace:FILE workload only, not to "${opts.workload}"`);
      }
      const preset = corePreset(opts.core);
      const config = withLatencies(preset.config, opts.latency);
      const input = scenarioInput(opts);
      const cases: { name: string; title: string; input: ScenarioInput }[] = [{ name: "given", title: `--kernel ${input.kernel} --cmdline "${input.cmdline ?? ""}"`, input }];
      if (opts.comparePolicies) {
        for (const p of POLICIES) {
          cases.push({
            name: p.name,
            title: p.title,
            input: { ...input, kernel: p.kernel, kernelVersion: undefined, cmdline: p.cmdline, config: policyConfig(p), crashStrategy: p.crashStrategy, bbml2: p.bbml2 ?? "none" },
          });
        }
      }
      const tty = process.stderr.isTTY === true;
      const total = cases.length * opts.accesses;
      const bar =
        tty && total >= 5_000_000
          ? new cliProgress.SingleBar(
              { stream: process.stderr, format: "tlb [{bar}] {percentage}% | {eta_formatted} left | {name}", hideCursor: true, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      bar?.start(total, 0, { name: cases[0].name });
      const notes: string[] = [];
      const rows: Row[] = cases.map((c, i) => {
        let sc;
        try {
          sc = runScenario(c.input);
        } catch (e) {
          if (i === 0) throw e;
          return { name: c.name, title: c.title, skipped: `not built: ${(e as Error).message.split("\n")[0]}` };
        }
        try {
          if (i === 0) notes.push(...sc.notes);
          const result = runTlb(sc.pt, sc.linear, {
            config,
            workload: opts.workload,
            accesses: opts.accesses,
            seed: opts.seed,
            traceFormat: opts.traceFormat,
            onProgress: (done) => bar?.update(i * opts.accesses + Math.min(done, opts.accesses), { name: c.name }),
          });
          return { name: c.name, title: c.title, result };
        } catch (e) {
          if (i === 0 || !(e instanceof InvalidArgumentError)) throw e;
          return { name: c.name, title: c.title, skipped: e.message };
        } finally {
          sc.pt.dispose();
        }
      });
      bar?.stop();
      printNotes(notes);
      if (opts.json) {
        const json = {
          core: { name: preset.name, title: preset.title, config, sources: preset.sources, assumptions: preset.assumptions },
          workload: opts.workload,
          seed: opts.seed.toString(),
          rows: rows.map((r) => ({ name: r.name, title: r.title, skipped: r.skipped, counts: r.result?.counts, metrics: r.result?.metrics })),
        };
        emit(`${JSON.stringify(json, null, 2)}\n`, opts.output);
        return;
      }
      const first = rows[0].result!;
      const lines = [
        `core: ${preset.title} (${preset.name}); assumptions: ${preset.assumptions.join("; ")}`,
        `workload: ${opts.workload}, ${first.counts.accesses.toLocaleString("en-US")} accesses, seed ${opts.seed}; latencies: ${config.levels
          .slice(1)
          .map((l) => `${l.name} ${l.hitCycles}`)
          .join(", ")}, walk reference ${config.walkRefCycles} cycles`,
        "",
        rowsTable(rows),
      ];
      if (first.counts.faults > 0) lines.push("", `faults: ${first.counts.faults.toLocaleString("en-US")} accesses found no translation (given)`);
      if (opts.comparePolicies) lines.push("", ...rows.map((r) => `${r.name}: ${r.title}`));
      emit(`${lines.join("\n")}\n`, opts.output);
    });
}
