/** Memory budgets: a build that would need more simulator memory than allowed fails before it takes any. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { OutOfMemoryError } from "../src/errors.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const VA = 0xffff_0000_0000_0000n;
const PAGES = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
const CLI = join(import.meta.dirname, "..", "dist", "src", "cli", "main.js");

describe("memory budget", () => {
  it("refuses a map past the budget with what it needs, changing nothing; a smaller one then fits", () => {
    const pt = new WasmPageTable({ implicitLeaves: false, memoryBudget: 32 * 2 ** 20 });
    const before = pt.stats();
    // 16 GiB page by page, every table a page: 8192 PTE tables + 16 PMD + 1 PUD = 8209 frames, 32 MiB+.
    let err: unknown;
    try {
      pt.map(VA, 0x4000_0000n, 16n << 30n, pageKernel(), PAGES);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).framesNeeded).toBe(8209);
    expect((err as Error).message).toMatch(/needs \d+ MiB of wasm memory; the budget is 32 MiB/);
    expect(pt.stats()).toEqual(before);
    expect(pt.memoryUsage().wasmMemoryBytes).toBeLessThanOrEqual(32 * 2 ** 20);
    // 1 GiB needs 514 frames (2 MiB of tables): within the budget.
    expect(pt.map(VA, 0x4000_0000n, 1n << 30n, pageKernel(), PAGES).framesAllocated).toBe(514);
  });

  it("a budget past wasm32's 4 GiB is no limit (not wrapped to 0); a recycled engine keeps to a smaller one", () => {
    const big = new WasmPageTable({ memoryBudget: 2 ** 64 });
    expect(big.map(VA, 0x4000_0000n, 1n << 30n, pageKernel(), PAGES).framesAllocated).toBe(514);
    // 16 GiB of dense tables leave the instance with more than 32 MiB of memory ...
    const old = new WasmPageTable({ implicitLeaves: false });
    old.map(VA, 0x4000_0000n, 16n << 30n, pageKernel(), PAGES);
    old.reset();
    // ... which a recycled table with a 32 MiB budget may not hold: it gets a fresh instance instead.
    expect(old.memoryUsage().wasmMemoryBytes).toBeGreaterThan(32 * 2 ** 20);
    const pt = WasmPageTable.recycled(old, { memoryBudget: 32 * 2 ** 20 });
    expect(pt.memoryUsage().wasmMemoryBytes).toBeLessThanOrEqual(32 * 2 ** 20);
    // A bad option leaves the engine given up unused: it can still be used.
    const spare = new WasmPageTable();
    expect(() => WasmPageTable.recycled(spare, { memoryBudget: -1 })).toThrow(/memoryBudget/);
    expect(spare.stats().liveFrames).toBe(1);
  });

  it("the CLI: --memory-budget refuses in one line, exit 2, no output file", () => {
    const out = join(mkdtempSync(join(tmpdir(), "budget-")), "s.json");
    const r = spawnSync(process.execPath, [CLI, "summary", "--memmap", "64T@0x0", "--cmdline", "rodata=full", "--memory-budget", "128M", "--json", "-o", out], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^arm64-pgtable: out of table memory: \d+ more table pages needed \(needs \d+ MiB of wasm memory; the budget is 128 MiB/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
