// Browser stand-ins for the Node modules the engine's files import (see web/build.mjs).
// src/wasm/module.ts finds and reads build/pgtable.wasm with node:fs, node:path and node:url: the
// page gives it the engine instead (useEngineModule), so these are never called there.
function unavailable() {
  throw new Error("not available in the browser: call useEngineModule() before making a page table");
}
export const existsSync = unavailable;
export const readFileSync = unavailable;
export const dirname = unavailable;
export const join = unavailable;
export const fileURLToPath = unavailable;
