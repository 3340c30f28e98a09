/**
 * The engines the parametrized tests run against. Both implement `PageTableEngine`; the WebAssembly
 * engine is added here once it exists.
 */
import { ReferencePageTable } from "../src/reference/index.js";
import type { PageTableEngine, PageTableOptions } from "../src/types.js";

/** One engine under test: a name for the report and a factory. */
export interface EngineUnderTest {
  name: string;
  create: (o?: PageTableOptions) => PageTableEngine;
}

/** Every engine the shared tests cover. */
export const ENGINES: EngineUnderTest[] = [{ name: "reference", create: (o) => new ReferencePageTable(o) }];
