/**
 * A recycled wasm engine (a new table in an instance that held another, its memory reused) builds
 * exactly what a fresh one builds: same statistics, same descriptors, for a run of scenarios that
 * changes granule and size between builds.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/kernel/config.js";
import { parseMemoryMap } from "../src/memmap/index.js";
import { runScenario } from "../src/scenario.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const cases: [string, string, Partial<{ granule: 4 | 16 | 64 }>][] = [
  ["64G@0x80000000", "rodata=full", {}],
  ["4G@0x40000000", "rodata=on crashkernel=256M", {}],
  ["96G@0x80000000", "rodata=full", { granule: 16 }],
  ["16G@0x40000000", "", { granule: 64 }],
  ["200G@0x80000000", "rodata=on", {}],
  ["32G@0x40000000", "rodata=full", {}],
];

describe("recycled wasm engines", () => {
  it("build what fresh ones build, across granules and sizes", () => {
    let spare: WasmPageTable | undefined;
    for (const [map, cmdline, config] of cases) {
      const input = {
        memmap: parseMemoryMap(map, { source: map, format: "shorthand" as const }),
        kernel: "6.1",
        cmdline,
        config: { ...DEFAULT_CONFIG, ...config, vaBits: 48 },
      };
      const fresh = runScenario(input);
      const recycled = runScenario({ ...input, recycle: spare });
      expect(recycled.pt.stats(), map).toEqual(fresh.pt.stats());
      expect(recycled.pt.ranges({ start: fresh.linear.start, end: fresh.linear.end, exact: true }), map).toEqual(
        fresh.pt.ranges({ start: fresh.linear.start, end: fresh.linear.end, exact: true }),
      );
      fresh.pt.dispose();
      spare = recycled.pt as WasmPageTable;
    }
    spare?.dispose();
  });
});
