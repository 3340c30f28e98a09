/**
 * Differential tests: random sequences of map / setMemory / unmap on the wasm engine and on the
 * TypeScript reference must give the same results, the same errors, the same statistics, the same
 * descriptors (table descriptors included, through the walk paths) and the same ranges.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  PTE_NG,
  PTE_RDONLY,
  PTE_WRITE,
  SET_MEMORY,
  pageKernel,
} from "../src/descriptor.js";
import { PgtableError } from "../src/errors.js";
import { type Granule, entrySize, geometry, oaFieldMask } from "../src/geometry.js";
import { ReferencePageTable } from "../src/reference/index.js";
import type { PageTableEngine } from "../src/types.js";
import { instantiateEngine } from "../src/wasm/module.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const CONFIGS: Array<[Granule, number]> = [
  [4, 48], [4, 39], [4, 52], [16, 36], [16, 47], [16, 48], [16, 52], [64, 42], [64, 48], [64, 52],
];

type Op =
  | { kind: "map"; at: number; pages: number; paShift: number; flags: number; prot: number }
  | { kind: "set"; at: number; pages: number; change: keyof typeof SET_MEMORY; split: boolean }
  | { kind: "unmap"; at: number; pages: number };

/** Whatever a call did, in a form both engines must match exactly. */
function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!(e instanceof PgtableError)) throw e;
    return { error: e.name, detail: { ...e }, message: e.message };
  }
}

/** Page counts that land near the sizes where the rules change: CONT groups, PMD and PUD entries. */
function pagesArb(g: ReturnType<typeof geometry>): fc.Arbitrary<number> {
  const perPmd = g.entriesPerTable;
  const cont = g.contEntries[0];
  const candidates = [1, 2, cont - 1, cont, cont + 1, perPmd - 1, perPmd, perPmd + cont, 2 * perPmd + 3];
  if (g.granule === 4) candidates.push(perPmd * 16, perPmd * 16 + 1, perPmd * 512, perPmd * 512 + perPmd);
  return fc.oneof(fc.integer({ min: 1, max: 3 * cont }), fc.constantFrom(...candidates));
}

/** Start offsets in pages: aligned to interesting boundaries, plus a few pages of jitter. */
function atArb(g: ReturnType<typeof geometry>): fc.Arbitrary<number> {
  const perPmd = g.entriesPerTable;
  const unit = g.granule === 4 ? perPmd * 512 : perPmd;
  return fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 1, g.contEntries[0], perPmd, perPmd * g.contEntries[1]), fc.integer({ min: -2, max: 2 }))
    .map(([slot, within, jitter]) => Math.max(0, slot * unit + within + jitter));
}

/** Sizes of the first map of a sequence: several PMD entries, a CONT_PMD group, over a PUD entry. */
function basePagesArb(g: ReturnType<typeof geometry>): fc.Arbitrary<number> {
  const perPmd = g.entriesPerTable;
  const candidates = [perPmd * 3 + 5, perPmd * g.contEntries[1], perPmd * (g.contEntries[1] + 1) + g.contEntries[0] + 3];
  if (g.granule === 4) candidates.push(perPmd * 512 + perPmd * 2 + 7);
  return fc.constantFrom(...candidates);
}

/** Offsets inside a mapped region, biased to the boundaries where the rules change. */
function offsetArb(g: ReturnType<typeof geometry>, pages: number): fc.Arbitrary<number> {
  const perPmd = g.entriesPerTable;
  const cont = g.contEntries[0];
  const marks = [0, 1, cont - 1, cont, cont + 3, perPmd - 1, perPmd, perPmd + cont, perPmd * 2 + 1].filter((m) => m < pages);
  return fc.oneof(fc.constantFrom(...marks), fc.integer({ min: 0, max: pages - 1 }));
}

/** A map over the region, then operations mostly inside it. */
function sequenceArb(g: ReturnType<typeof geometry>): fc.Arbitrary<Op[]> {
  const base = fc.record({
    kind: fc.constant("map" as const),
    at: atArb(g),
    pages: basePagesArb(g),
    paShift: fc.constantFrom(0, 1, 16, 512, 512 * 512, 3),
    flags: fc.integer({ min: 0, max: 7 }),
    prot: fc.integer({ min: 0, max: 7 }),
  });
  return base.chain((first) => {
    const inner = fc.tuple(offsetArb(g, first.pages), pagesArb(g)).map(([off, pages]) => ({
      at: first.at + off,
      pages: Math.max(1, off + pages > first.pages && pages % 4 !== 0 ? first.pages - off : pages),
    }));
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: fc.tuple(inner, fc.constantFrom(0, first.paShift), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })).map(([r, paShift, flags, prot]) => ({ kind: "map" as const, ...r, paShift, flags, prot })) },
      { weight: 4, arbitrary: fc.tuple(inner, fc.constantFrom(...(Object.keys(SET_MEMORY) as Array<keyof typeof SET_MEMORY>)), fc.boolean()).map(([r, change, split]) => ({ kind: "set" as const, ...r, change, split })) },
      { weight: 2, arbitrary: inner.map((r) => ({ kind: "unmap" as const, ...r })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("map" as const), at: atArb(g), pages: pagesArb(g), paShift: fc.constantFrom(0, 1, 16, 512, 3), flags: fc.integer({ min: 0, max: 7 }), prot: fc.integer({ min: 0, max: 7 }) }) },
    );
    return fc.array(op, { minLength: 1, maxLength: 8 }).map((rest) => [first, ...rest]);
  });
}

function protOf(bits: number, lpa2: boolean): bigint {
  let p = pageKernel({ tagged: (bits & 1) !== 0, shared: !lpa2 });
  if (bits & 2) p = (p & ~PTE_WRITE) | PTE_RDONLY;
  if (bits & 4) p |= PTE_NG;
  return p;
}

function apply(pt: PageTableEngine, op: Op): unknown {
  const g = pt.geometry;
  const base = g.ttbr1Base;
  const va = base + BigInt(op.at) * g.pageSize;
  const size = BigInt(op.pages) * g.pageSize;
  if (op.kind === "map") {
    const pa = 0x4000_0000n + BigInt(op.at + op.paShift) * g.pageSize;
    return outcome(() => pt.map(va, pa, size, protOf(op.prot, g.lpa2), op.flags));
  }
  if (op.kind === "set") {
    const m = SET_MEMORY[op.change];
    return outcome(() => pt.setMemory(va, size, m.set, m.clear, op.split ? "split" : "classic"));
  }
  return outcome(() => pt.unmap(va, size));
}

/** Everything observable about a table. */
function observe(pt: PageTableEngine, probes: bigint[]): unknown {
  const g = pt.geometry;
  const window = entrySize(g, Math.min(g.levels - 1, 3)) * 4n;
  const end = g.ttbr1Base + window > 1n << 64n ? 1n << 64n : g.ttbr1Base + window;
  return {
    stats: pt.stats(),
    ranges: pt.ranges({ end, exact: true, mask: BigInt.asUintN(64, ~oaFieldMask(g)) }),
    walks: probes.map((va) => pt.walk(va)),
    many: pt.walkMany(BigUint64Array.from(probes)),
  };
}

describe("wasm engine matches the reference", () => {
  for (const [granule, vaBits] of CONFIGS) {
    const g = geometry(granule, vaBits);
    it(`random operation sequences, ${granule}K pages, ${vaBits}-bit VA`, () => {
      const probeArb = fc.array(atArb(g).chain((at) => fc.integer({ min: 0, max: 600 }).map((d) => g.ttbr1Base + BigInt(at + d) * g.pageSize + 8n)), { minLength: 1, maxLength: 40 });
      fc.assert(
        fc.property(sequenceArb(g), probeArb, (ops, probes) => {
          const wasm = new WasmPageTable({ granule, vaBits });
          const breadthFirst = instantiateEngine();
          breadthFirst.setWalkStrategy(2); // the batch walk used on tables beyond the caches
          const wasmBf = new WasmPageTable({ granule, vaBits }, breadthFirst);
          const ref = new ReferencePageTable({ granule, vaBits });
          for (const op of ops) {
            const expected = apply(ref, op);
            expect(apply(wasm, op), JSON.stringify(op)).toEqual(expected);
            expect(apply(wasmBf, op), JSON.stringify(op)).toEqual(expected);
          }
          const seen = observe(ref, probes);
          expect(observe(wasm, probes)).toEqual(seen);
          expect(observe(wasmBf, probes)).toEqual(seen);
          wasm.dispose();
          wasmBf.dispose();
        }),
        { numRuns: granule === 4 ? 60 : 40 },
      );
    });
  }
});

describe("folded levels", () => {
  it("no CONT at the top table of a 2-level table (the pgd loop hands one entry at a time)", () => {
    for (const make of [(o: object) => new WasmPageTable(o), (o: object) => new ReferencePageTable(o)]) {
      // 16K pages, 36-bit VA: the top table is the PMD level (32M blocks); a CONT_PMD group would be 32 x 32M = 1G.
      const pt = make({ granule: 16, vaBits: 36 });
      const g = pt.geometry;
      pt.map(g.ttbr1Base, 0x4000_0000n, 1n << 30n, pageKernel(), 0);
      const leaves = pt.ranges({ end: g.ttbr1Base + (1n << 30n) });
      expect(leaves).toHaveLength(1);
      expect(leaves[0].level).toBe(2);
      expect(leaves[0].descriptor).toBe(0x4000_0000n | (pageKernel() & ~2n));
    }
  });
});
