/**
 * The invariant checker (src/check.ts): (a) a small fake engine presents each kind of corruption
 * the real engines cannot be driven into, and the checker names it; (b) random sequences of map,
 * setMemory and unmap leave both engines' tables with every invariant holding, and the checker
 * counts the same on both; (c) `arm64-pgtable check` (dist/ must be built: `npx tsc -p tsconfig.json`).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type InvariantReport, checkInvariants } from "../src/check.js";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, PMD_TABLE_UXN, PTE_CONT, PTE_NG, PTE_VALID, SET_MEMORY, pageKernel } from "../src/descriptor.js";
import { PgtableError } from "../src/errors.js";
import { type Geometry, type Granule, decodeOA, encodeOA, entrySize, geometry, hwBlockLevel, oaFieldMask } from "../src/geometry.js";
import {
  type ChangeMode,
  type ChangeResult,
  FAULT_PA,
  type MapResult,
  type MappedRange,
  type PageTableEngine,
  type RangesOptions,
  type Stats,
  type WalkManyResult,
  type WalkResult,
} from "../src/types.js";
import { ENGINES } from "./engines.js";

const kinds = (r: InvariantReport) => [...new Set(r.problems.map((p) => p.kind))].sort();

/**
 * A read-only engine over hand-written ranges (taken as exact ranges: the OA follows the VA). Its
 * walks follow the hardware's rules over those ranges (the first range holding a VA decides), so
 * that only the corruption a test puts in disagrees; `walkOverride` corrupts the walks themselves.
 */
class FakeEngine implements PageTableEngine {
  readonly geometry: Geometry;
  constructor(
    g: Geometry,
    private readonly list: MappedRange[],
    private readonly counts: Stats,
    private readonly walkOverride?: (w: WalkResult) => WalkResult,
  ) {
    this.geometry = g;
  }
  map(): MapResult {
    throw new Error("read-only");
  }
  unmap(): ChangeResult {
    throw new Error("read-only");
  }
  setMemory(): ChangeResult {
    throw new Error("read-only");
  }
  reset(): void {}
  dispose(): void {}
  stats(): Stats {
    return structuredClone(this.counts);
  }
  ranges(o: RangesOptions = {}): MappedRange[] {
    const start = o.start ?? this.geometry.ttbr1Base;
    const end = o.end ?? 1n << 64n;
    return this.list
      .filter((r) => r.end > start && r.start < end)
      .map((r) => ({ ...r, start: r.start > start ? r.start : start, end: r.end < end ? r.end : end }));
  }
  walk(va: bigint): WalkResult {
    const g = this.geometry;
    const top = g.levels - 1;
    const r = this.list.find((x) => x.start <= va && va < x.end);
    if (!r) throw new Error(`fake: no range holds 0x${va.toString(16)}`);
    const d = 3 - r.level;
    const size = entrySize(g, d);
    // The entry holding va: the range's first descriptor with the OA moved along.
    const k = ((va & ~(size - 1n)) - (r.start & ~(size - 1n))) / size;
    const oa = decodeOA(g, r.descriptor) + k * size;
    const desc = k === 0n || r.descriptor === 0n ? r.descriptor : (r.descriptor & ~oaFieldMask(g)) | encodeOA(g, oa);
    const path = [...Array.from({ length: top - d }, (_, i) => BigInt(i + 1) << 12n | 3n | PMD_TABLE_UXN), desc];
    const leaf = (desc & PTE_VALID) !== 0n && (d === 0 ? (desc & 3n) === 3n : (desc & 3n) === 1n && hwBlockLevel(g, d));
    const pa = leaf ? (oa & ~(size - 1n)) + (va & (size - 1n)) : undefined;
    const w: WalkResult = { va, pa, level: r.level, descriptor: desc, tableAttrs: top > d ? PMD_TABLE_UXN : 0n, path, fault: leaf ? undefined : "translation" };
    return this.walkOverride ? this.walkOverride(w) : w;
  }
  walkMany(vas: BigUint64Array, out?: WalkManyResult): WalkManyResult {
    const res = out ?? { pa: new BigUint64Array(vas.length), level: new Int8Array(vas.length) };
    vas.forEach((va, i) => {
      const w = this.walk(va);
      res.pa[i] = w.pa ?? FAULT_PA;
      res.level[i] = w.level;
    });
    return res;
  }
}

describe("the checker finds hand-made corruption (a fake 4K / 48-bit engine)", () => {
  const g = geometry(4, 48);
  const B = g.ttbr1Base;
  const P = g.pageSize;
  const M2 = 2n << 20n;
  const G1 = 1n << 30n;
  const G512 = 512n * G1;
  const X = 0x4000_0000n;
  const prot = pageKernel();
  const page = (va: bigint, pages: bigint, pa: bigint, extra = 0n): MappedRange => ({ start: va, end: va + pages * P, level: 3, descriptor: pa | prot | extra });
  const block = (level: number, va: bigint, size: bigint, pa: bigint): MappedRange => ({ start: va, end: va + size, level, descriptor: pa | (prot & ~2n) });

  /**
   * One PGD entry → one PUD table → one PMD table → one PTE table (for [B, B+2M)); `pte` ranges lie
   * in [B, B+2M), `pmd` in [B+2M, B+1G), `pud` in [B+1G, B+512G), `pgd` above; the rest is empty.
   */
  function layout(pte: MappedRange[], pmd: MappedRange[] = [], pud: MappedRange[] = [], pgd: MappedRange[] = []): MappedRange[] {
    const out: MappedRange[] = [];
    const spans: Array<[number, bigint, bigint, MappedRange[]]> = [
      [3, B, B + M2, pte],
      [2, B + M2, B + G1, pmd],
      [1, B + G1, B + G512, pud],
      [0, B + G512, 1n << 64n, pgd],
    ];
    for (const [level, from, to, given] of spans) {
      let cursor = from;
      for (const r of given) {
        if (r.start > cursor) out.push({ start: cursor, end: r.start, level, descriptor: 0n });
        out.push(r);
        if (r.end > cursor) cursor = r.end;
      }
      if (cursor < to) out.push({ start: cursor, end: to, level, descriptor: 0n });
    }
    return out;
  }
  /** One live table per level, as `layout` has them. */
  function stats(live = [1, 1, 1, 1], allocated = live, freed = [0, 0, 0, 0]): Stats {
    const frames = live.reduce((a, b) => a + b, 0);
    return {
      levels: live.map((l, d) => ({ name: (["PTE", "PMD", "PUD", "PGD"] as const)[d], level: 3 - d, allocated: allocated[d], freed: freed[d], live: l, writes: 0 })),
      liveFrames: frames,
      tableBytes: (frames - live[live.length - 1]) * Number(P), // the tables below the PGD
      descriptorsWritten: 0,
    };
  }
  const clean = () =>
    layout(
      [page(B, 16n, X, PTE_CONT), page(B + 16n * P, 4n, X + 16n * P), page(B + 32n * P, 1n, X + 64n * P, PTE_NG)],
      [block(2, B + M2, M2, X + M2)],
      [block(1, B + G1, G1, 2n * G1)],
    );
  const check = (ranges: MappedRange[], s = stats(), override?: (w: WalkResult) => WalkResult) => checkInvariants(new FakeEngine(g, ranges, s, override), { samples: 200 });

  it("a clean table passes", () => {
    const r = check(clean());
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked).toMatchObject({ tables: 4, contGroups: 1, blocks: 2, leaves: 16 + 4 + 1 + 2 });
  });

  it("overlapping ranges", () => {
    const r = check(layout([page(B, 8n, X), page(B + 4n * P, 8n, X + 4n * P)]));
    expect(kinds(r)).toEqual(["overlap"]);
    expect(r.problems[0].va).toBe(B + 4n * P);
  });

  it("a hole in the ranges", () => {
    const r = check(clean().filter((x) => !(x.level === 1 && x.descriptor === 0n)));
    expect(kinds(r)).toEqual(["gap"]);
  });

  it("a CONT group with one entry not CONT, one cut short, one whose OA is not aligned", () => {
    const broken = layout([page(B, 5n, X, PTE_CONT), page(B + 5n * P, 1n, X + 5n * P), page(B + 6n * P, 10n, X + 6n * P, PTE_CONT)]);
    const r = check(broken);
    expect(kinds(r)).toEqual(["cont-group"]);
    expect(r.problems).toHaveLength(1); // one group, reported once
    expect(r.problems[0]).toMatchObject({ va: B, level: 3 });
    expect(kinds(check(layout([page(B, 8n, X, PTE_CONT)])))).toEqual(["cont-group"]);
    const shifted = check(layout([page(B, 16n, X + P, PTE_CONT)]));
    expect(kinds(shifted)).toEqual(["cont-group"]);
    expect(shifted.problems[0].detail).toMatch(/not aligned/);
    // CONT_PMD: 16 blocks, the 9th without CONT.
    const pmds = [block(2, B + 32n * M2, 8n * M2, X), block(2, B + 40n * M2, M2, X + 8n * M2), block(2, B + 41n * M2, 7n * M2, X + 9n * M2)];
    pmds[0].descriptor |= PTE_CONT;
    pmds[2].descriptor |= PTE_CONT;
    expect(kinds(check(layout([], pmds)))).toEqual(["cont-group"]);
  });

  it("a misaligned block, a block where the architecture has none, a reserved page type, a RES0 bit", () => {
    const misaligned = check(layout([], [block(2, B + M2, M2, X + P)]));
    expect(kinds(misaligned)).toEqual(["block-alignment"]);
    expect(misaligned.problems[0]).toMatchObject({ va: B + M2, level: 2 });
    expect(kinds(check(layout([], [], [], [block(0, B + G512, G512, 0n)])))).toEqual(["block-level"]);
    expect(kinds(check(layout([{ start: B, end: B + P, level: 3, descriptor: X | (prot & ~2n) }])))).toEqual(["descriptor"]);
    expect(kinds(check(layout([page(B, 1n, X, 1n << 48n)])))).toEqual(["res0"]);
  });

  it("statistics that do not add up, and live tables that no walk reaches", () => {
    const r = check(clean(), stats([1, 1, 1, 1], [2, 1, 1, 1], [0, 0, 0, 0]));
    expect(kinds(r)).toEqual(["stats"]);
    const leak = check(clean(), stats([2, 1, 1, 1], [3, 1, 1, 1], [1, 0, 0, 0]));
    expect(kinds(leak)).toEqual(["table-count"]);
    expect(leak.problems[0]).toMatchObject({ level: 3 });
    expect(leak.problems[0].detail).toMatch(/2 live tables counted, 1 reachable/);
  });

  it("a walk that disagrees with the ranges", () => {
    const r = check(clean(), stats(), (w) => (w.pa !== undefined && w.va >= B + 16n * P && w.va < B + 20n * P ? { ...w, pa: w.pa + P } : w));
    expect(kinds(r)).toEqual(["walk-mismatch"]);
    expect(r.problems.length).toBeGreaterThanOrEqual(2); // first and last byte at least
  });
});

describe("after random operation sequences, both engines' tables pass, with the same counts", () => {
  const CONFIGS: Array<[Granule, number]> = [[4, 48], [4, 39], [4, 52], [16, 47], [16, 36], [64, 42], [64, 52]];
  type Op =
    | { kind: "map"; at: number; pages: number; paShift: number; flags: number }
    | { kind: "set"; at: number; pages: number; change: keyof typeof SET_MEMORY; mode: ChangeMode }
    | { kind: "unmap"; at: number; pages: number };

  function opsArb(g: Geometry): fc.Arbitrary<Op[]> {
    const perPmd = g.entriesPerTable;
    const cont = g.contEntries[0];
    const unit = g.granule === 4 ? perPmd * 512 : perPmd * g.contEntries[1];
    // Half the starts aligned to a CONT group, a PMD entry or a CONT_PMD group, half a few pages off.
    const at = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0, cont, perPmd, perPmd * g.contEntries[1], 1), fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 2 })))
      .map(([slot, within, jitter]) => Math.max(0, slot * unit + within + jitter));
    const sizes = [1, 2, cont - 1, cont, cont + 1, perPmd - 1, perPmd, perPmd + cont, 2 * perPmd + 3, perPmd * g.contEntries[1]];
    if (g.granule === 4) sizes.push(perPmd * 512); // a PUD block, or 512 PTE tables
    const pages = fc.oneof(fc.integer({ min: 1, max: 3 * cont }), fc.constantFrom(...sizes));
    const flags = fc.constantFrom(0, NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
    const map = fc.record({ kind: fc.constant("map" as const), at, pages, paShift: fc.constantFrom(0, 0, perPmd, 1, cont), flags });
    const set = fc.record({
      kind: fc.constant("set" as const),
      at,
      pages,
      change: fc.constantFrom(...(Object.keys(SET_MEMORY) as Array<keyof typeof SET_MEMORY>)),
      mode: fc.constantFrom<ChangeMode>("classic", "split"),
    });
    const unmap = fc.record({ kind: fc.constant("unmap" as const), at, pages });
    const op: fc.Arbitrary<Op> = fc.oneof({ weight: 3, arbitrary: map }, { weight: 4, arbitrary: set }, { weight: 2, arbitrary: unmap });
    // Half the first maps are large and aligned, where blocks and CONT_PMD groups can go.
    const big = fc.record({
      kind: fc.constant("map" as const),
      at: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(0, perPmd)).map(([slot, within]) => slot * unit + within),
      pages: fc.constantFrom(2 * perPmd + 3, perPmd * g.contEntries[1], perPmd * (g.contEntries[1] + 1) + cont + 3),
      paShift: fc.constant(0),
      flags,
    });
    return fc.tuple(fc.oneof(map, big), fc.array(op, { minLength: 1, maxLength: 10 })).map(([first, rest]) => [first, ...rest]);
  }

  /** Applies one operation; a refusal (a typed error) leaves the table as it was. */
  function apply(pt: PageTableEngine, op: Op): string {
    const g = pt.geometry;
    const va = g.ttbr1Base + BigInt(op.at) * g.pageSize;
    const size = BigInt(op.pages) * g.pageSize;
    try {
      if (op.kind === "map") pt.map(va, 0x4000_0000n + BigInt(op.at + op.paShift) * g.pageSize, size, pageKernel({ shared: !g.lpa2 }), op.flags);
      else if (op.kind === "set") pt.setMemory(va, size, SET_MEMORY[op.change].set, SET_MEMORY[op.change].clear, op.mode);
      else pt.unmap(va, size);
      return "ok";
    } catch (e) {
      if (!(e instanceof PgtableError)) throw e;
      return e.code;
    }
  }

  let sequences = 0;
  let operations = 0;
  let refused = 0;
  /** Sequences whose table ended with blocks, with CONT groups, with tables freed by unmap. */
  const reached = { blocks: 0, contGroups: 0, freed: 0 };
  for (const [granule, vaBits] of CONFIGS) {
    const g = geometry(granule, vaBits);
    it(`${granule}K pages, ${vaBits}-bit VA`, () => {
      fc.assert(
        fc.property(opsArb(g), fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
          const engines = ENGINES.map((e) => e.create({ granule, vaBits }));
          for (const op of ops) {
            const outcomes = engines.map((pt) => apply(pt, op));
            expect(new Set(outcomes).size, JSON.stringify(op)).toBe(1);
            if (outcomes[0] !== "ok") refused++;
            operations++;
          }
          sequences++;
          const reports = engines.map((pt) => checkInvariants(pt, { samples: 128, seed, singleWalks: 64 }));
          for (const r of reports) {
            expect(r.problems).toEqual([]);
            expect(r.ok).toBe(true);
          }
          expect(reports[1].checked).toEqual(reports[0].checked);
          expect(reports[0].checked.tables).toBe(engines[0].stats().liveFrames);
          if (reports[0].checked.blocks > 0) reached.blocks++;
          if (reports[0].checked.contGroups > 0) reached.contGroups++;
          if (engines[0].stats().levels.some((l) => l.freed > 0)) reached.freed++;
          // A window in the middle of the first map: widened, checked, ok.
          const first = ops[0];
          const start = g.ttbr1Base + BigInt(first.at + 3) * g.pageSize;
          const windowed = engines.map((pt) => checkInvariants(pt, { start, end: start + BigInt(first.pages) * g.pageSize, samples: 32, seed }));
          for (const r of windowed) expect(r.problems).toEqual([]);
          expect(windowed[1].checked).toEqual(windowed[0].checked);
          for (const pt of engines) pt.dispose();
        }),
        { numRuns: granule === 4 ? 30 : 20 },
      );
    });
  }
  it("ran sequences with refusals among them", () => {
    console.log(`check: ${sequences} sequences, ${operations} operations (${refused} refused), on ${ENGINES.length} engines; ending with blocks ${reached.blocks}, CONT groups ${reached.contGroups}, tables freed ${reached.freed}`);
    expect(sequences).toBeGreaterThan(0);
    for (const n of Object.values(reached)) expect(n).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(operations);
  });
});

describe("arm64-pgtable check", () => {
  const CLI = join(import.meta.dirname, "..", "dist", "src", "cli", "main.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

  it("exits 0 on a booted linear map and says what it checked", () => {
    const r = run("check", "--memmap", "8G@0x40000000", "--cmdline", "rodata=on");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: \d+ ranges, \d+ walks checked\n$/);
  });

  it("--json", () => {
    const r = run("check", "--memmap", "8G@0x40000000", "--kernel", "6.18", "--bbml2", "all", "--samples", "64", "--json");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, problems: [], omitted: 0 });
    expect(j.checked.walks).toBeGreaterThan(64);
    expect(j.checked.tables).toBeGreaterThan(1);
  });
});
