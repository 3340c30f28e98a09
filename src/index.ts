/** arm64-pgtable: the library's public face. */
export * from "./descriptor.js";
export * from "./errors.js";
export * from "./geometry.js";
export * from "./types.js";
export { countLeaves, type LeafCounts } from "./leaves.js";
export { formatSize, parseSize } from "./units.js";
export { WasmPageTable } from "./wasm/page-table.js";
export { ReferencePageTable } from "./reference/index.js";
export { WasmTlb } from "./wasm/tlb.js";
export { ReferenceTlb } from "./reference/tlb.js";
export type { CacheShape, Replacement, TlbConfig, TlbLevel, WalkCache } from "./tlb/config.js";
export { CORES, corePreset, type CorePreset } from "./tlb/cores.js";
export { metrics, type TlbCounts, type TlbMetrics } from "./tlb/metrics.js";
export { mappedRanges, runTlb, type TlbRunOptions, type TlbRunResult } from "./tlb/run.js";
export { layOut, parseWorkload, type Workload, type WorkloadLayout } from "./tlb/workload.js";
// The boot model, memory maps and ptdump (none of these load the sweep's plotting stack).
export { runScenario, type Scenario, type ScenarioInput } from "./scenario.js";
export * from "./memmap/index.js";
export * from "./ptdump/index.js";
export { summarize, scenarioJson } from "./report/summary.js";
export { checkInvariants, type InvariantCounts, type InvariantKind, type InvariantOptions, type InvariantProblem, type InvariantReport } from "./check.js";
