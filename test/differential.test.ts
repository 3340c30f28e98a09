/**
 * Differential tests: random sequences of map / setMemory / unmap on the wasm engine and on the
 * TypeScript reference must give the same results, the same errors, the same statistics, the same
 * descriptors (table descriptors included, through the walk paths) and the same ranges.
 * The sizes cover whole PTE tables, which the wasm engine keeps implicit (a record instead of a
 * page), and partial writes into them, which materialize them; PAs near the OA encoding boundary of
 * 52-bit configurations (bit 48 or 50) check runs that cross it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NO_BLOCK_MAPPINGS,
  NO_CONT_MAPPINGS,
  PTE_NG,
  PTE_RDONLY,
  PTE_WRITE,
  SET_MEMORY,
  pageKernel,
} from "../src/descriptor.js";
import { PgtableError } from "../src/errors.js";
import { type Granule, entrySize, geometry, oaFieldMask } from "../src/geometry.js";
import { ReferencePageTable } from "../src/reference/index.js";
import type { ChangeMode, PageTableEngine, SafeRule } from "../src/types.js";
import { instantiateEngine } from "../src/wasm/module.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const CONFIGS: Array<[Granule, number]> = [
  [4, 48], [4, 39], [4, 52], [16, 36], [16, 47], [16, 48], [16, 52], [64, 42], [64, 48], [64, 52],
];

type Op =
  | { kind: "map"; at: number; pages: number; paShift: number; flags: number; prot: number; paBase: number }
  | { kind: "set"; at: number; pages: number; change: keyof typeof SET_MEMORY; mode: ChangeMode }
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
  const candidates = [1, 2, cont - 1, cont, cont + 1, perPmd - 1, perPmd, perPmd + cont, 2 * perPmd, 2 * perPmd + 3, 3 * perPmd];
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

/** Default PA base, in pages: 1 GiB, where QEMU's virt machine has RAM. */
function lowBase(g: ReturnType<typeof geometry>): number {
  return Number(0x4000_0000n / g.pageSize);
}

/**
 * PA bases, in pages: 1 GiB, and with 52-bit PAs bases that put the OA encoding boundary (bit 48
 * with FEAT_LPA, bit 50 with LPA2) `cross` pages after the start of the first map.
 */
function paBaseArb(g: ReturnType<typeof geometry>, at: number, paShift: number, pages: number): fc.Arbitrary<number> {
  if (g.vaBits !== 52) return fc.constant(lowBase(g));
  const boundary = Number((g.granule === 64 ? 1n << 48n : 1n << 50n) / g.pageSize);
  const perPmd = g.entriesPerTable;
  const crosses = [1, g.contEntries[0], perPmd, perPmd + 1, perPmd * g.contEntries[1]].filter((c) => c < pages);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(lowBase(g)) },
    { weight: 1, arbitrary: fc.constantFrom(...crosses).map((c) => boundary - (at + paShift + c)) },
  );
}

/** A map over the region, then operations mostly inside it. */
function sequenceArb(g: ReturnType<typeof geometry>): fc.Arbitrary<Op[]> {
  const base0 = fc.record({
    kind: fc.constant("map" as const),
    at: atArb(g),
    pages: basePagesArb(g),
    paShift: fc.constantFrom(0, 1, 16, 512, 512 * 512, 3),
    flags: fc.integer({ min: 0, max: 7 }),
    prot: fc.integer({ min: 0, max: 7 }),
  });
  const base = base0.chain((b) => paBaseArb(g, b.at, b.paShift, b.pages).map((paBase) => ({ ...b, paBase })));
  return base.chain((first) => {
    const inner = fc.tuple(offsetArb(g, first.pages), pagesArb(g)).map(([off, pages]) => ({
      at: first.at + off,
      pages: Math.max(1, off + pages > first.pages && pages % 4 !== 0 ? first.pages - off : pages),
    }));
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: fc.tuple(inner, fc.constantFrom(0, first.paShift), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })).map(([r, paShift, flags, prot]) => ({ kind: "map" as const, ...r, paShift, flags, prot, paBase: first.paBase })) },
      { weight: 4, arbitrary: fc.tuple(inner, fc.constantFrom(...(Object.keys(SET_MEMORY) as Array<keyof typeof SET_MEMORY>)), fc.constantFrom<ChangeMode>("classic", "split", "leaf")).map(([r, change, mode]) => ({ kind: "set" as const, ...r, change, mode })) },
      { weight: 2, arbitrary: inner.map((r) => ({ kind: "unmap" as const, ...r })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("map" as const), at: atArb(g), pages: pagesArb(g), paShift: fc.constantFrom(0, 1, 16, 512, 3), flags: fc.integer({ min: 0, max: 7 }), prot: fc.integer({ min: 0, max: 7 }), paBase: fc.constant(first.paBase) }) },
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
    const pa = BigInt(op.paBase + op.at + op.paShift) * g.pageSize;
    return outcome(() => pt.map(va, pa, size, protOf(op.prot, g.lpa2), op.flags));
  }
  if (op.kind === "set") {
    const m = SET_MEMORY[op.change];
    return outcome(() => pt.setMemory(va, size, m.set, m.clear, op.mode));
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
    rangesDefault: pt.ranges({ end }),
    // Every bit: one range per leaf, every leaf of an implicit table computed; in the PMD entries
    // of the first probes only, for time.
    rangesAll: probes.slice(0, 3).map((va) => {
      const start = va & ~(entrySize(g, 1) - 1n);
      return pt.ranges({ start, end: start + entrySize(g, 1), mask: (1n << 64n) - 1n });
    }),
    walks: probes.map((va) => pt.walk(va)),
    many: pt.walkMany(BigUint64Array.from(probes)),
  };
}

describe("wasm engine matches the reference", () => {
  for (const [granule, vaBits] of CONFIGS) {
    const g = geometry(granule, vaBits);
    it(`random operation sequences, ${granule}K pages, ${vaBits}-bit VA`, () => {
      let implicitSeen = 0;
      const probeArb = fc.array(atArb(g).chain((at) => fc.integer({ min: 0, max: 600 }).map((d) => g.ttbr1Base + BigInt(at + d) * g.pageSize + 8n)), { minLength: 1, maxLength: 40 });
      fc.assert(
        fc.property(sequenceArb(g), probeArb, fc.constantFrom<SafeRule>("v6.1", "v6.12", "v7.3"), (ops, probes, safeRule) => {
          const wasm = new WasmPageTable({ granule, vaBits, safeRule });
          const breadthFirst = instantiateEngine();
          breadthFirst.setWalkStrategy(2); // the batch walk used on tables beyond the caches
          const wasmBf = new WasmPageTable({ granule, vaBits, safeRule, implicitLeaves: false }, breadthFirst); // and dense tables
          const lockstep = instantiateEngine();
          lockstep.setWalkStrategy(1); // four walks in lockstep, on dense tables
          const wasmDense = new WasmPageTable({ granule, vaBits, safeRule, implicitLeaves: false }, lockstep);
          const ref = new ReferencePageTable({ granule, vaBits, safeRule });
          for (const op of ops) {
            const expected = apply(ref, op);
            expect(apply(wasm, op), JSON.stringify(op)).toEqual(expected);
            expect(apply(wasmBf, op), JSON.stringify(op)).toEqual(expected);
            expect(apply(wasmDense, op), JSON.stringify(op)).toEqual(expected);
          }
          const seen = observe(ref, probes);
          expect(observe(wasm, probes)).toEqual(seen);
          expect(observe(wasmBf, probes)).toEqual(seen);
          expect(observe(wasmDense, probes)).toEqual(seen);
          if (wasm.memoryUsage().implicitTables > 0) implicitSeen++;
          wasm.dispose();
          wasmBf.dispose();
          wasmDense.dispose();
        }),
        { numRuns: granule === 4 ? 60 : 40 },
      );
      // The sequences do reach implicit tables.
      expect(implicitSeen).toBeGreaterThan(0);
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

describe("implicit PTE tables (wasm) against the reference", () => {
  /** Applies one call to every engine and expects the same outcome. */
  function both(engines: PageTableEngine[], fn: (pt: PageTableEngine) => unknown): unknown {
    const [ref, ...others] = engines;
    const expected = outcome(() => fn(ref));
    for (const pt of others) expect(outcome(() => fn(pt))).toEqual(expected);
    return expected;
  }

  for (const [granule, vaBits] of CONFIGS) {
    const g = geometry(granule, vaBits);
    it(`materialize under setMemory, unmap and remap, ${granule}K pages, ${vaBits}-bit VA`, () => {
      const ps = g.pageSize;
      const pmd = entrySize(g, 1);
      const cont = BigInt(g.contEntries[0]) * ps;
      const va0 = g.ttbr1Base + 2n * pmd; // PMD aligned: whole PTE tables
      const va1 = va0 + 8n * pmd;
      const pa0 = 0x4000_0000n; // 1 GiB: aligned to the PMD entry of every granule
      const prot = protOf(0, g.lpa2);
      const wasm = new WasmPageTable({ granule, vaBits });
      const bf = instantiateEngine();
      bf.setWalkStrategy(2);
      const wasmBf = new WasmPageTable({ granule, vaBits }, bf);
      const ref = new ReferencePageTable({ granule, vaBits });
      const all: PageTableEngine[] = [ref, wasm, wasmBf];
      const implicit = () => {
        const n = wasm.memoryUsage().implicitTables;
        expect(wasmBf.memoryUsage().implicitTables).toBe(n);
        return n;
      };
      // Probes: the first pages, both sides of a CONT group and of each table.
      const probes: bigint[] = [];
      for (let t = 0n; t < 14n; t++) {
        for (const off of [0n, ps, 3n * ps, 5n * ps, cont - ps, cont, cont + 7n * ps, pmd - ps]) probes.push(va0 + t * pmd + off + 8n);
      }
      const check = () => {
        const look = (pt: PageTableEngine) => ({
          stats: pt.stats(),
          exact: pt.ranges({ start: va0, end: va0 + 16n * pmd, exact: true }),
          all: pt.ranges({ start: va0, end: va0 + 16n * pmd, mask: (1n << 64n) - 1n }),
          walks: probes.map((va) => pt.walk(va)),
          many: pt.walkMany(BigUint64Array.from(probes)),
        });
        const seen = look(ref);
        expect(look(wasm)).toEqual(seen);
        expect(look(wasmBf)).toEqual(seen);
      };

      // Four whole PTE tables with CONT: four implicit tables.
      both(all, (pt) => pt.map(va0, pa0, 4n * pmd, prot, NO_BLOCK_MAPPINGS));
      expect(implicit()).toBe(4);
      check();
      // classic refuses the CONT pages; split clears one CONT group: table 0 materializes.
      expect(both(all, (pt) => pt.setMemory(va0 + 3n * ps, 2n * ps, SET_MEMORY.ro.set, SET_MEMORY.ro.clear))).toHaveProperty("error");
      both(all, (pt) => pt.setMemory(va0 + 3n * ps, 2n * ps, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "split"));
      expect(implicit()).toBe(3);
      check();
      // All of table 1: the record changes, the table stays implicit.
      both(all, (pt) => pt.setMemory(va0 + pmd, pmd, SET_MEMORY.nx.set, SET_MEMORY.nx.clear, "split"));
      expect(implicit()).toBe(3);
      check();
      // Unmapping a CONT group of table 2 materializes it; a partial group is refused first.
      expect(both(all, (pt) => pt.unmap(va0 + 2n * pmd + ps, cont))).toHaveProperty("error");
      both(all, (pt) => pt.unmap(va0 + 2n * pmd + cont, cont));
      expect(implicit()).toBe(2);
      check();
      // Unmapping all of table 3 frees it; mapping it again takes the frame back, implicit again.
      both(all, (pt) => pt.unmap(va0 + 3n * pmd, pmd));
      expect(implicit()).toBe(1);
      check();
      both(all, (pt) => pt.map(va0 + 3n * pmd, pa0 + 3n * pmd, pmd, prot, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS));
      expect(implicit()).toBe(2);
      check();

      // Without CONT: a page changed in classic mode materializes table 4; remapping all of it with
      // the original prot (a permission change back, safe) makes it implicit again.
      both(all, (pt) => pt.map(va1, pa0 + 8n * pmd, 2n * pmd, prot, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS));
      expect(implicit()).toBe(4);
      both(all, (pt) => pt.setMemory(va1 + 7n * ps, ps, SET_MEMORY.ro.set, SET_MEMORY.ro.clear));
      expect(implicit()).toBe(3);
      check();
      both(all, (pt) => pt.map(va1, pa0 + 8n * pmd, pmd, prot, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS));
      expect(implicit()).toBe(4);
      check();
      // Invalid-but-nonzero runs (set_memory_valid(…, 0)) stay implicit and fault where they should.
      both(all, (pt) => pt.setMemory(va1, 2n * pmd, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear));
      expect(implicit()).toBe(4);
      check();
      both(all, (pt) => pt.setMemory(va1 + pmd, pmd, SET_MEMORY.valid.set, SET_MEMORY.valid.clear));
      check();
      // Partial unmaps materialize table 5, the last one empties and frees it.
      both(all, (pt) => pt.unmap(va1 + pmd + ps, 3n * ps));
      expect(implicit()).toBe(3);
      check();
      both(all, (pt) => pt.unmap(va1 + pmd, ps));
      both(all, (pt) => pt.unmap(va1 + pmd + 4n * ps, pmd - 4n * ps));
      expect(implicit()).toBe(3);
      check();
      // A page-granular map over a PMD block splits nothing (pmd_bad): refused alike.
      both(all, (pt) => pt.map(va1 + 2n * pmd, pa0, pmd, prot, 0));
      expect(both(all, (pt) => pt.map(va1 + 2n * pmd, pa0, pmd, prot, NO_BLOCK_MAPPINGS))).toHaveProperty("error");
      // A PMD block split in v6.18 mode gives a real PTE table (changed in part at once).
      both(all, (pt) => pt.setMemory(va1 + 2n * pmd + cont, ps, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "split"));
      check();
      if (g.vaBits === 52) {
        // A whole table whose run crosses the OA encoding boundary cannot be one run of descriptors.
        const boundary = g.granule === 64 ? 1n << 48n : 1n << 50n;
        const before = implicit();
        both(all, (pt) => pt.map(va1 + 4n * pmd, boundary - 3n * ps, pmd, prot, NO_BLOCK_MAPPINGS));
        expect(implicit()).toBe(before);
        check();
      }
      const { realTables, implicitTables, simulatorBytes, tableBytes } = wasm.memoryUsage();
      expect(simulatorBytes).toBe(realTables * Number(ps) + 8 * wasm.memoryUsage().frameSlots);
      expect(tableBytes).toBe((realTables + implicitTables - 1) * Number(ps)); // all but the PGD
      wasm.dispose();
      wasmBf.dispose();
    });
  }
});

describe("wasm table storage across growth and reset", () => {
  it("reuses pages after reset (zeroed), and grows the frame map, as the reference sees it", () => {
    const prot = protOf(0, false);
    const ps = 4096n;
    const pmd = 2n << 20n;
    const va0 = 0xffff_0000_0000_0000n;
    const wasm = new WasmPageTable();
    const ref = new ReferencePageTable();
    /** Partial PTE tables (real pages), whole ones (records), and unmaps that free some of each. */
    const round = (pt: PageTableEngine, shift: number) => {
      for (let i = 0; i < 9000; i++) {
        const va = va0 + BigInt(i) * pmd;
        if (i % 3 === 0) pt.map(va, BigInt(i) * pmd, pmd, prot, NO_BLOCK_MAPPINGS);
        else pt.map(va + BigInt((i + shift) % 7) * ps, BigInt(i) * pmd, BigInt(100 + ((i * shift) % 50)) * ps, prot, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
        if (i % 11 === 5) pt.unmap(va0 + BigInt(i - 4) * pmd, pmd);
      }
    };
    const probes = Array.from({ length: 3000 }, (_, k) => va0 + BigInt(k * 3) * pmd + BigInt((k * 37) % 512) * ps + 8n);
    const look = (pt: PageTableEngine) => ({ stats: pt.stats(), walks: probes.map((va) => pt.walk(va)), many: pt.walkMany(BigUint64Array.from(probes)) });
    round(wasm, 1);
    round(ref, 1);
    expect(look(wasm)).toEqual(look(ref));
    const grown = wasm.memoryUsage();
    expect(grown.frameSlots).toBeGreaterThan(8192); // more than the first frame map holds
    wasm.reset();
    ref.reset();
    round(wasm, 2);
    round(ref, 2);
    expect(look(wasm)).toEqual(look(ref));
    // The same number of tables again: no more memory.
    expect(wasm.memoryUsage().wasmMemoryBytes).toBe(grown.wasmMemoryBytes);
  });
});
