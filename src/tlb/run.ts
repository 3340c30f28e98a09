/**
 * Runs the run-time model on a built page table: lays the workload onto the linear map's mapped
 * ranges (or streams a trace), drives the wasm model (or the reference over any engine) in batches,
 * reports progress, and returns the counts and the metrics.
 */
import { InvalidArgumentError } from "../errors.js";
import { countLeaves } from "../leaves.js";
import { ReferenceTlb } from "../reference/tlb.js";
import type { PageTableEngine } from "../types.js";
import { WasmPageTable } from "../wasm/page-table.js";
import { checkTlbConfig, type TlbConfig } from "./config.js";
import { metrics, type TlbCounts, type TlbMetrics } from "./metrics.js";
import { type TraceFormat, detectTraceFormat, streamTrace } from "./trace.js";
import { ReferenceWorkload, layOut, parseWorkload } from "./workload.js";

/** What to run. */
export interface TlbRunOptions {
  config: TlbConfig;
  /** A workload spec (workload.ts), or `trace:FILE`. */
  workload: string;
  /** Accesses to simulate (a trace: at most this many; default all of it). */
  accesses?: number;
  seed?: bigint;
  traceFormat?: TraceFormat;
  /** Which model: the wasm one (needs a WasmPageTable) or the reference (any engine). Default: wasm when possible. */
  model?: "wasm" | "reference";
  /** The mapped VA ranges of `linear`, when the caller has them (countLeaves().mapped); else read from the table. */
  ranges?: { va: bigint; length: bigint }[];
  /** Called after each batch. */
  onProgress?: (done: number, total: number) => void;
}

/** What a run gives. */
export interface TlbRunResult {
  workload: string;
  model: "wasm" | "reference";
  counts: TlbCounts;
  metrics: TlbMetrics;
}

/** The mapped (valid) VA ranges of [start, end), adjacent ones merged. */
export function mappedRanges(pt: PageTableEngine, start: bigint, end: bigint): { va: bigint; length: bigint }[] {
  return countLeaves(pt, start, end).mapped;
}

const REFERENCE_BATCH = 4096;

/** Runs the model over `pt`'s tables; `linear` bounds the workload's address space. */
export function runTlb(pt: PageTableEngine, linear: { start: bigint; end: bigint }, o: TlbRunOptions): TlbRunResult {
  checkTlbConfig(o.config);
  const seed = o.seed ?? 1n;
  const model = o.model ?? (pt instanceof WasmPageTable ? "wasm" : "reference");
  if (model === "wasm" && !(pt instanceof WasmPageTable)) throw new InvalidArgumentError("model", "the wasm model runs on a WasmPageTable only");
  const wasm = model === "wasm" ? (pt as WasmPageTable).runTimeModel() : undefined;
  const ref = wasm ? undefined : new ReferenceTlb(pt);
  if (wasm) wasm.configure(o.config, seed);
  else ref?.configure(o.config, seed);
  const counts = () => (wasm ? wasm.counts() : ref!.counts());
  const run = (vas: BigUint64Array) => (wasm ? wasm.run(vas) : ref!.run(vas));

  if (o.workload.startsWith("trace:")) {
    const path = o.workload.slice(6);
    if (path === "") throw new InvalidArgumentError("workload", "trace: needs a file (trace:FILE)");
    const limit = o.accesses ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError("accesses", `${limit} is not a whole number of accesses above 0`);
    let format: TraceFormat;
    try {
      format = o.traceFormat ?? detectTraceFormat(path);
    } catch (e) {
      throw new InvalidArgumentError(`trace ${path}`, (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message);
    }
    let done = 0;
    streamTrace(path, format, limit, {
      bytes: wasm
        ? (b) => {
            wasm.runBytes(b);
            done += b.length / 8;
            o.onProgress?.(done, limit);
          }
        : undefined,
      values: (v) => {
        run(v);
        done += v.length;
        o.onProgress?.(done, limit);
      },
    });
    const c = counts();
    return { workload: o.workload, model, counts: c, metrics: metrics(c, o.config) };
  }

  const total = o.accesses ?? 1_000_000;
  if (!Number.isSafeInteger(total) || total < 1) throw new InvalidArgumentError("accesses", `${total} is not a whole number of accesses above 0`);
  const layout = layOut(parseWorkload(o.workload), o.ranges ?? mappedRanges(pt, linear.start, linear.end), seed);
  if (wasm) {
    wasm.setWorkload(layout);
    const batch = wasm.batchSize();
    for (let done = 0; done < total; ) {
      const n = Math.min(batch, total - done);
      wasm.runWorkload(n);
      done += n;
      o.onProgress?.(done, total);
    }
  } else {
    const gen = new ReferenceWorkload(layout);
    const vas = new BigUint64Array(REFERENCE_BATCH);
    for (let done = 0; done < total; ) {
      const n = Math.min(REFERENCE_BATCH, total - done);
      for (let i = 0; i < n; i++) vas[i] = gen.next();
      run(vas.subarray(0, n));
      done += n;
      o.onProgress?.(done, total);
    }
  }
  const c = counts();
  return { workload: o.workload, model, counts: c, metrics: metrics(c, o.config) };
}
