/**
 * The sweep's worker (a piscina task file, run from dist/): one point per task. The engine's wasm
 * module is compiled once per thread, before the first task, so that no point's cold build pays
 * for compiling it. The pool's threads share a gate (gate.ts): cold builds run alone, and each
 * point's engine is released and collected (gc()) inside the gate, not during another's cold build.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { workerData } from "piscina";
import { engineModule } from "../wasm/module.js";
import { NO_GATE, gateOver } from "./gate.js";
import { type PointResult, type PointTask, runPoint } from "./point.js";

engineModule();

// Worker threads cannot be started with --expose-gc; this is the usual way to get gc() in one.
setFlagsFromString("--expose-gc");
(globalThis as { gc?: () => void }).gc ??= runInNewContext("gc") as () => void;

const lock = (workerData as { gate?: Int32Array } | undefined)?.gate;
const gate = lock ? gateOver(lock) : NO_GATE;

/** Runs one sweep point. */
export default function sweepPoint(task: PointTask): PointResult {
  return runPoint(task, gate);
}
