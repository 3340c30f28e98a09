/** The benchmark gate's arithmetic: which ratios it forms and when it fails (bench/gate.ts). */
import { describe, expect, it } from "vitest";
import { gate, ratiosOf } from "../bench/gate.js";
import type { BenchRecord } from "../bench/run.js";

const G = 2 ** 30;
const rec = (task: BenchRecord["task"], impl: BenchRecord["impl"], perSecond: number, tables: BenchRecord["tables"] = "dense", size = G): BenchRecord => ({ task, impl, size, perSecond, tables });

describe("bench gate", () => {
  const records = [
    rec("build-page", "wasm", 40e6),
    rec("build-page", "native", 50e6),
    rec("build-page", "reference", 2e6),
    rec("fill", "wasm", 400e6),
    rec("tlb", "wasm", 9e6, "implicit", 64 * G),
    rec("tlb", "reference", 0.1e6, "dense", 64 * G),
  ];

  it("forms the ratios measured in one run", () => {
    expect(ratiosOf(records)).toEqual([
      { name: "build-page 1G: wasm / native", value: 0.8 },
      { name: "build-page 1G: wasm / reference", value: 20 },
      { name: "build-page 1G: bytes / cold fill", value: 0.8 },
      { name: "tlb 64G: wasm / reference", value: 90 },
    ]);
  });

  it("fails a ratio worse than baseline / threshold, passes one within it, notes missing and new ones", () => {
    const base = { threshold: 2, ratios: { "build-page 1G: wasm / native": 1.7, "build-page 1G: wasm / reference": 30, "walk 1G: wasm / native": 1 } };
    const rows = gate(ratiosOf(records), base);
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(by["build-page 1G: wasm / native"].ok).toBe(false); // 0.8 < 1.7 / 2
    expect(by["build-page 1G: wasm / reference"].ok).toBe(true); // 20 >= 30 / 2
    expect([by["walk 1G: wasm / native"].ok, by["walk 1G: wasm / native"].now]).toEqual([true, undefined]);
    expect([by["tlb 64G: wasm / reference"].ok, by["tlb 64G: wasm / reference"].baseline]).toEqual([true, undefined]);
  });
});
