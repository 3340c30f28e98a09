/** What only the WebAssembly engine has: memory limits, traps, batches larger than its scratch buffer. */
import { describe, expect, it } from "vitest";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { EngineTrapError, EngineUnusableError, OutOfMemoryError } from "../src/errors.js";
import { FAULT_PA } from "../src/types.js";
import { instantiateEngine } from "../src/wasm/module.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const PROT = pageKernel({ tagged: true });
const PAGES = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;

describe("wasm engine limits", () => {
  it("refuses a map whose tables exceed 4 GiB of wasm memory, and stays usable", () => {
    const pt = new WasmPageTable();
    pt.map(PAGE_OFFSET, 0n, 1n << 30n, PROT, PAGES);
    const before = pt.stats();
    // 4 TiB page by page needs 4 TiB / 4 KiB * 8 B = 8 GiB of PTE tables: more than a wasm32 memory.
    const err = (() => {
      try {
        pt.map(PAGE_OFFSET + (1n << 40n), 1n << 40n, 4n << 40n, PROT, PAGES);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OutOfMemoryError);
    // PTE tables: 2^42 / 2^21 = 2^21 frames; PMD tables: 4 TiB / 1 GiB = 4096; PUD tables: 8 (512 GiB each).
    expect((err as OutOfMemoryError).framesNeeded).toBe(2 ** 21 + 4096 + 8);
    expect(pt.stats()).toEqual(before);
    expect(pt.walk(PAGE_OFFSET + 0x1000n).pa).toBe(0x1000n);
  });

  it("turns a trap into EngineTrapError and refuses later calls", () => {
    const real = instantiateEngine();
    // A genuine trap: the engine's batch walk told to read far past the end of its memory.
    const engine = { ...real, walkBatch: () => real.walkBatch(0xffff_fff0, 0, 0, 4) };
    const pt = new WasmPageTable({}, engine);
    expect(() => pt.walkMany(new BigUint64Array(4))).toThrow(EngineTrapError);
    expect(() => pt.walk(PAGE_OFFSET)).toThrow(EngineUnusableError);
  });

  it("walks batches larger than the scratch buffer", () => {
    const pt = new WasmPageTable();
    pt.map(PAGE_OFFSET, 0x4000_0000n, 1n << 30n, PROT, PAGES);
    const n = 200_003; // over three 65536-VA chunks, and not a multiple of the four-walk lockstep
    const vas = new BigUint64Array(n);
    for (let i = 0; i < n; i++) vas[i] = PAGE_OFFSET + BigInt(i * 7919 * 4096 + (i % 4096)) % (2n << 30n);
    const { pa, level } = pt.walkMany(vas);
    for (let i = 0; i < n; i++) {
      const off = vas[i] - PAGE_OFFSET;
      if (off < 1n << 30n) {
        expect(pa[i]).toBe(0x4000_0000n + off);
        expect(level[i]).toBe(3);
      } else {
        expect(pa[i]).toBe(FAULT_PA); // the empty PUD entry above the first GiB
        expect(level[i]).toBe(1);
      }
    }
  });
});
