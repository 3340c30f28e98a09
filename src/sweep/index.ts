/**
 * The headline sweep: how the cost of the linear map grows with memory size, per layout and policy.
 * `runSweep` runs the points (over worker threads) and the checks; `writeSweepReport` writes
 * sweep.json, sweep.csv, sweep.md and the SVG plots, each atomically.
 */
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { formatSize } from "../units.js";
import { check256, checkNsPerDescriptor } from "./checks.js";
import { LAYOUT_DESCRIPTIONS, LAYOUT_NAMES, type LayoutName, buildLayout } from "./layouts.js";
import { PLOTS, plotSpec, renderSvg } from "./plots.js";
import type { PointResult, PointTask } from "./point.js";
import { POLICIES, policyByName } from "./policies.js";
import { runPoints } from "./pool.js";
import { type SweepReport, sortPoints, toCsv, toJson, toMarkdown } from "./report.js";
import { writeFileAtomic } from "./write.js";

export { LAYOUT_NAMES, buildLayout, scaleLayout, layoutShape, ONE_BANK_BASE } from "./layouts.js";
export { POLICIES, policyByName } from "./policies.js";
export { runPoint, type PointResult, type PointTask } from "./point.js";
export { runPoints, largestFirst, workerFile } from "./pool.js";
export { type SweepReport, terminalTable, toCsv, toJson, toMarkdown } from "./report.js";
export { writeFileAtomic } from "./write.js";
export { DEFAULT_SIZES, checkSweepSize } from "./sizes.js";
import { DEFAULT_SIZES, checkSweepSize } from "./sizes.js";



/** What to sweep. */
export interface SweepOptions {
  sizes?: readonly bigint[];
  layouts?: readonly LayoutName[];
  /** Policy names. */
  policies?: readonly string[];
  /** Worker threads; 0 runs the points in this thread. Default: os.availableParallelism(). */
  workers?: number;
  /** Called as each point lands. */
  onResult?: (r: PointResult, done: number, total: number) => void;
  /** Skip the checks against real machines (tests). */
  skipChecks?: boolean;
}


/** Runs the sweep. */
export async function runSweep(options: SweepOptions = {}): Promise<SweepReport> {
  const t0 = performance.now();
  const sizes = [...(options.sizes ?? DEFAULT_SIZES)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  sizes.forEach(checkSweepSize);
  const layouts = [...(options.layouts ?? LAYOUT_NAMES)];
  for (const l of layouts) if (!(LAYOUT_NAMES as readonly string[]).includes(l)) throw new RangeError(`layout ${l}: not one of ${LAYOUT_NAMES.join(", ")}`);
  const policies = (options.policies ?? POLICIES.map((p) => p.name)).map(policyByName);
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers ${workers}: must be a whole number, 0 for this thread`);

  // Layouts are built here first, so that a size a layout cannot take fails before any work.
  const banks = layouts.map((name) => ({
    name,
    description: LAYOUT_DESCRIPTIONS[name],
    banks: Object.fromEntries(sizes.map((s) => [formatSize(s), buildLayout(name, s).memory.map((b) => `node ${b.nid ?? 0}: 0x${b.base.toString(16)}+${formatSize(b.size)}`)])),
  }));
  const tasks: PointTask[] = [];
  for (const layout of layouts) for (const p of policies) for (const s of sizes) tasks.push({ layout, policy: p.name, size: s.toString() });

  const tp = performance.now();
  let done = 0;
  const points = await runPoints(tasks, workers, (r) => options.onResult?.(r, ++done, tasks.length));
  const pointsWallMs = performance.now() - tp;

  const attempt = <T>(f: () => T): T | { error: string } => {
    try {
      return f();
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const checks = options.skipChecks
    ? { at256: { error: "skipped" }, nsPerDescriptor: { error: "skipped" } }
    : { at256: attempt(check256), nsPerDescriptor: attempt(checkNsPerDescriptor) };
  const c = cpus();
  return {
    tool: "arm64-pgtable sweep",
    generatedAt: new Date().toISOString(),
    environment: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, cpus: c.length, cpuModel: c[0]?.model?.trim() || "unknown CPU", workers },
    pointsWallMs,
    wallMs: performance.now() - t0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    sizes: sizes.map(formatSize),
    layouts: banks,
    policies,
    points: sortPoints(points, policies, layouts),
    checks,
  };
}

/** Writes the report's files into `dir` (created if needed), each atomically; returns their paths. */
export async function writeSweepReport(report: SweepReport, dir: string): Promise<string[]> {
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    written.push(path);
  };
  const policyOrder = report.policies.map((p) => p.name);
  const layoutOrder = report.layouts.map((l) => l.name);
  const plots: string[] = [];
  for (const plot of PLOTS) {
    put(plot.file, await renderSvg(plotSpec(plot, report.points, policyOrder, layoutOrder)));
    plots.push(plot.file);
  }
  put("sweep.json", toJson(report));
  put("sweep.csv", toCsv(report));
  put("sweep.md", toMarkdown(report, plots));
  return written;
}
