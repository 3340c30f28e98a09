/**
 * `arm64-pgtable sweep` (and `npm start`): the headline sweep of linear-map cost against memory size,
 * with a progress bar on stderr (when it is a terminal), the table on stdout, and the report files.
 */
import { availableParallelism } from "node:os";
import cliProgress from "cli-progress";
import { OutputFileError, makeDirs } from "../output-file.js";
import { type Command, InvalidArgumentError, Option } from "commander";
import { LAYOUT_NAMES, type LayoutName } from "../sweep/layouts.js";
import { POLICIES } from "../sweep/policies.js";
import { DEFAULT_SIZES } from "../sweep/sizes.js";
import { UsageError } from "./scenario-options.js";
import { formatSize, parseSize } from "../units.js";

function list(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new InvalidArgumentError("an empty list");
  return items;
}

function sizesArg(value: string): bigint[] {
  return list(value).map((s) => {
    try {
      return parseSize(s);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  });
}

function oneOf(names: readonly string[], what: string) {
  return (value: string): string[] => {
    const items = list(value);
    for (const x of items) if (!names.includes(x)) throw new InvalidArgumentError(`${what} ${x}: not one of ${names.join(", ")}`);
    return items;
  };
}

function workersArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 256) throw new InvalidArgumentError(`${value}: a whole number from 0 (this thread) to 256`);
  return n;
}

interface SweepFlags {
  sizes: bigint[];
  layouts: string[];
  policies: string[];
  workers: number;
  out: string;
}

/** Registers the `sweep` command on the CLI. */
export function addSweepCommand(program: Command): void {
  program
    .command("sweep")
    .description("the cost of the linear map against memory size (1G to 64T x4), per layout and policy; writes report/")
    .addHelpText("after", "\nExample:\n  arm64-pgtable sweep --sizes 1G,64G,4T --layouts one-bank --policies blocks,pages --out report")
    .addOption(new Option("--sizes <list>", "RAM sizes, comma-separated (e.g. 1G,16G,1T)").argParser(sizesArg).default([...DEFAULT_SIZES], DEFAULT_SIZES.map(formatSize).join(",")))
    .addOption(new Option("--layouts <list>", `layouts: ${LAYOUT_NAMES.join(", ")}`).argParser(oneOf(LAYOUT_NAMES, "layout")).default([...LAYOUT_NAMES], "all"))
    .addOption(new Option("--policies <list>", `policies: ${POLICIES.map((p) => p.name).join(", ")}`).argParser(oneOf(POLICIES.map((p) => p.name), "policy")).default(POLICIES.map((p) => p.name), "all"))
    .option("--workers <n>", "worker threads (0: run in the main thread)", workersArg, availableParallelism())
    .option("--out <dir>", "folder for sweep.json, sweep.csv, sweep.md and the SVG plots", "report")
    .action(async (opts: SweepFlags) => {
      // The report's folder first: a folder that cannot be made fails now, not after the sweep.
      try {
        makeDirs(opts.out);
      } catch (e) {
        if (e instanceof OutputFileError) throw new OutputFileError(opts.out, e.reason, "--out");
        throw e;
      }
      // The sweep's own modules load the worker pool (piscina) and the plots (vega), optional packages
      // that an install for the engine alone leaves out (npm install --omit=optional).
      let sweep: typeof import("../sweep/index.js");
      let describeSize: typeof import("../sweep/checks.js").describeSize;
      try {
        sweep = await import("../sweep/index.js");
        describeSize = (await import("../sweep/checks.js")).describeSize;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw e;
        throw new UsageError(`sweep needs the optional packages vega, vega-lite and piscina, not installed here (${(e as Error).message.split("\n")[0]}): npm install vega vega-lite piscina`);
      }
      const { runSweep, terminalTable, writeSweepReport } = sweep;
      const tty = process.stderr.isTTY === true;
      const total = opts.sizes.length * opts.layouts.length * opts.policies.length;
      const bar = tty
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: "sweep [{bar}] {value}/{total} points | {eta_formatted} left | {last}", hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(total, 0, { last: `${opts.workers === 0 ? "main thread" : `${opts.workers} workers`}, largest points first` });
      let report;
      try {
        report = await runSweep({
          sizes: opts.sizes,
          layouts: opts.layouts as LayoutName[],
          policies: opts.policies,
          workers: opts.workers,
          onResult: (r, done) => bar?.update(done, { last: `${r.layout} ${r.policy} ${r.size} ${r.ok ? `${r.coldMs.toFixed(0)} ms` : "FAILED"}` }),
        });
      } finally {
        bar?.stop();
      }
      const files = await writeSweepReport(report, opts.out);
      process.stdout.write(terminalTable(report.points));
      const lines = [
        "",
        `${report.points.length} points in ${(report.pointsWallMs / 1000).toFixed(1)} s on ${opts.workers === 0 ? "the main thread" : `${opts.workers} workers`} ` +
          `(sweep with checks ${(report.wallMs / 1000).toFixed(1)} s, peak RSS ${(report.peakRssBytes / 2 ** 20).toFixed(0)} MiB)`,
      ];
      const a = report.checks.at256;
      if (!("error" in a)) {
        lines.push(
          `256 GiB check: page-granular - blocks = ${a.simulatedDiffKb.toLocaleString("en-US")} kB simulated, ${a.measuredDiffKb.toLocaleString("en-US")} kB measured (AmpereOne); ` +
            `the measurement implies ${describeSize(a.impliedRamBytes).split(" (")[0]} mapped`,
        );
      }
      const failed = report.points.filter((p) => !p.ok);
      lines.push(failed.length === 0 ? "no point failed" : `${failed.length} points failed: ${failed.map((p) => `${p.layout}/${p.policy}/${p.size} (${p.error?.name})`).join(", ")}`);
      lines.push(`written: ${files.join(", ")}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
