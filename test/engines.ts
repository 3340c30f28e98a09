/**
 * The engines the parametrized tests run against. Both implement `PageTableEngine`.
 */
import { ReferencePageTable } from "../src/reference/index.js";
import type { PageTableEngine, PageTableOptions } from "../src/types.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

/** One engine under test: a name for the report and a factory. */
export interface EngineUnderTest {
  name: string;
  create: (o?: PageTableOptions) => PageTableEngine;
}

/** Every engine the shared tests cover. */
export const ENGINES: EngineUnderTest[] = [
  { name: "wasm", create: (o) => new WasmPageTable(o) },
  { name: "reference", create: (o) => new ReferencePageTable(o) },
];
