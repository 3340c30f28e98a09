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
    // Whole PTE tables are implicit (8 bytes each), so a page-granular map of any size that 48-bit
    // VAs allow fits (test/scale.test.ts). Partial PTE tables need real pages: with 64K pages, one
    // page in each PMD entry (512 MiB apart) takes a 64 KiB table each, and 4 GiB hold 65536 minus
    // the rest. The filling runs on the raw exports, for time.
    const x = instantiateEngine();
    const pt = new WasmPageTable({ granule: 64 }, x);
    const page = 1n << 16n;
    const step = 1n << 29n;
    const prot = pageKernel({ tagged: true, shared: true });
    let i = 0n;
    for (; i < 70_000n; i++) {
      if (x.mapRange(PAGE_OFFSET + i * step, i * step, page, prot, PAGES) !== 0) break;
    }
    expect(i).toBeGreaterThan(65_000n);
    expect(i).toBeLessThan(65_536n);
    const before = pt.stats();
    const usage = pt.memoryUsage();
    expect(before.levels[0].live).toBe(Number(i));
    expect(usage.realTables).toBe(Number(i) + before.levels[1].live + 1);
    expect(usage.wasmMemoryBytes).toBeGreaterThan(4 * 2 ** 30 - 64 * 2 ** 20);
    const err = (() => {
      try {
        pt.map(PAGE_OFFSET + i * step, i * step, page, prot, PAGES);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OutOfMemoryError);
    // One PTE table, plus a PMD table where the last one (4 TiB each) is full.
    expect((err as OutOfMemoryError).framesNeeded).toBe(i % 8192n === 0n ? 2 : 1);
    expect(pt.stats()).toEqual(before);
    expect(pt.memoryUsage()).toEqual(usage);
    expect(pt.walk(PAGE_OFFSET + 5n * step + 0x1234n).pa).toBe(5n * step + 0x1234n);
    // Tables already there still take pages.
    pt.map(PAGE_OFFSET + 5n * step + page, 5n * step + page, page, prot, PAGES);
    expect(pt.walk(PAGE_OFFSET + 5n * step + page).pa).toBe(5n * step + page);
    // Mapping all of table 7 makes it one run: implicit, its page free again...
    pt.map(PAGE_OFFSET + 7n * step, 7n * step, step, prot, PAGES);
    expect(pt.memoryUsage().realTables).toBe(usage.realTables - 1);
    expect(pt.memoryUsage().implicitTables).toBe(usage.implicitTables + 1);
    expect(pt.walk(PAGE_OFFSET + 7n * step + 3n * page + 8n).pa).toBe(7n * step + 3n * page + 8n);
    // ...for the map refused above, when it needed one table.
    if (i % 8192n !== 0n) {
      pt.map(PAGE_OFFSET + i * step, i * step, page, prot, PAGES);
      expect(pt.stats().levels[0].live).toBe(Number(i) + 1);
    }
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

  it("walks in batches when table attributes use bits below a 16K page's OA (regression)", () => {
    // With 16K pages a table descriptor's bits [13:12] are not OA; tableAttrs may set them.
    for (const implicitLeaves of [true, false]) {
      const pt = new WasmPageTable({ granule: 16, vaBits: 48, tableAttrs: 0x3000n, implicitLeaves });
      pt.map(PAGE_OFFSET, 0x4000_0000n, 64n << 20n, pageKernel(), NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
      const vas = BigUint64Array.from([0n, 0x4000n, 0x20_0000n, 0x3ff_c000n].map((o) => PAGE_OFFSET + o));
      expect(Array.from(pt.walkMany(vas).pa)).toEqual(Array.from(vas, (va) => va - PAGE_OFFSET + 0x4000_0000n));
    }
  });
});
