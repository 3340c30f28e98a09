/**
 * Spreading sweep points over worker threads (piscina), largest first so that the threads finish
 * together; or running them in this thread (`workers: 0`).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { engineModule } from "../wasm/module.js";
import { newGateBuffer } from "./gate.js";
import { policyByName, policyConfig } from "./policies.js";
import { type PointResult, type PointTask, failedPoint, runPoint } from "./point.js";

/**
 * The compiled worker file: beside this module when it runs from dist/, else (this module running
 * from src/, under vitest) its compiled copy in dist/src/sweep/.
 */
export function workerFile(): string {
  for (const rel of ["./worker.js", "../../dist/src/sweep/worker.js"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("dist/src/sweep/worker.js not found: run `npm run build` first");
}

/**
 * Relative cost of a point, to order the work: about the descriptors it writes, one per page when
 * page-granular, one per 1 GiB block otherwise (0 for a policy that does not exist: it fails at once).
 */
export function estimatedCost(task: PointTask): number {
  const size = Number(BigInt(task.size));
  let p;
  try {
    p = policyByName(task.policy);
  } catch {
    return 0;
  }
  return p.pageGranular ? size / (policyConfig(p).granule * 1024) : size / 2 ** 30;
}

/** Tasks largest first (ties: the order given). */
export function largestFirst(tasks: readonly PointTask[]): PointTask[] {
  return tasks
    .map((t, i) => ({ t, i, c: estimatedCost(t) }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .map((x) => x.t);
}

/** Runs `tasks` over `workers` threads (0: in this thread); `onResult` sees each as it lands. */
export async function runPoints(
  tasks: readonly PointTask[],
  workers: number,
  onResult: (r: PointResult) => void = () => {},
): Promise<PointResult[]> {
  const ordered = largestFirst(tasks);
  if (workers <= 0) {
    engineModule();
    const out: PointResult[] = [];
    for (const t of ordered) {
      const r = runPoint(t);
      out.push(r);
      onResult(r);
      // Let a progress bar redraw between points.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }
  const pool = new Piscina<PointTask, PointResult>({
    filename: workerFile(),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1000,
    // One gate for the pool: cold builds run alone, the rest of each point in parallel (gate.ts).
    workerData: { gate: newGateBuffer() },
  });
  try {
    return await Promise.all(
      ordered.map(async (t) => {
        let r: PointResult;
        try {
          r = await pool.run(t);
        } catch (e) {
          // The worker itself died (out of heap, a crash): the point fails, the sweep goes on.
          r = failedPoint(t, e);
        }
        onResult(r);
        return r;
      }),
    );
  } finally {
    await pool.destroy();
  }
}
