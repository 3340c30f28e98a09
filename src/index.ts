/** arm64-pgtable: the library's public face. */
export * from "./descriptor.js";
export * from "./errors.js";
export * from "./geometry.js";
export * from "./types.js";
export { countLeaves, type LeafCounts } from "./leaves.js";
export { formatSize, parseSize } from "./units.js";
export { WasmPageTable } from "./wasm/page-table.js";
export { ReferencePageTable } from "./reference/index.js";
