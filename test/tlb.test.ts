/**
 * The run-time model: hand-derived miss counts on tiny caches, and the wasm model against the
 * reference on random configurations, tables and workloads (same VA stream, same counts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { ReferencePageTable } from "../src/reference/index.js";
import { ReferenceTlb } from "../src/reference/tlb.js";
import type { TlbConfig } from "../src/tlb/config.js";
import { CORES } from "../src/tlb/cores.js";
import { ReferenceWorkload, layOut, parseWorkload } from "../src/tlb/workload.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const BASE = 0xffff_0000_0000_0000n;
const G = 1n << 30n;
const M = 1n << 20n;
const PROT = pageKernel();

/** 4 GiB at PA 0: 1G blocks, CONT PMDs, PMDs, CONT PTEs and pages, depending on alignment and flags. */
function mixedMap<T extends WasmPageTable | ReferencePageTable>(pt: T): T {
  pt.map(BASE, 0n, G, PROT); // one 1G block
  pt.map(BASE + G, G, G, PROT, NO_BLOCK_MAPPINGS); // CONT pages
  pt.map(BASE + 2n * G + 64n * 1024n, 2n * G + 64n * 1024n, G - 128n * 1024n, PROT); // unaligned: PMDs, CONT PTEs, pages
  pt.map(BASE + 3n * G, 3n * G, G, PROT, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS); // pages
  return pt;
}

const tiny = (l1: number, l2?: number, l1Sizes = ["4K", "64K", "2M", "32M", "1G"]): TlbConfig => ({
  levels: [
    { name: "L1D", entries: l1, ways: l1, replacement: "lru", sizes: l1Sizes, hitCycles: 0 },
    ...(l2 ? [{ name: "L2", entries: l2, ways: l2, replacement: "lru" as const, sizes: ["4K", "2M"], hitCycles: 3 }] : []),
  ],
  walkCache: { kind: "none" },
  walkRefCycles: 20,
});

describe("TLB model: hand-derived counts", () => {
  for (const engine of ["wasm", "reference"] as const) {
    const make = () => {
      const pt = mixedMap(engine === "wasm" ? new WasmPageTable() : new ReferencePageTable());
      const tlb = engine === "wasm" ? pt instanceof WasmPageTable && pt.runTimeModel() : new ReferenceTlb(pt);
      if (!tlb) throw new Error("unreachable");
      return tlb;
    };

    it(`${engine}: a translation's size is its descriptor's (1G block, 64K CONT run, 4K page)`, () => {
      const tlb = make();
      tlb.configure(tiny(4), 1n);
      // 1G block: one walk covers the whole GiB; 3 references (PGD, PUD... the block at the PUD: 2 reads).
      tlb.run(new BigUint64Array([BASE, BASE + 5n * M, BASE + G - 8n]));
      expect(tlb.counts()).toMatchObject({ accesses: 3, walks: 1, walkRefs: 2 });
      // CONT pages: 64K covered by one entry; the next 64K misses. Each walk reads 4 levels.
      tlb.run(new BigUint64Array([BASE + G, BASE + G + 60n * 1024n, BASE + G + 64n * 1024n]));
      expect(tlb.counts()).toMatchObject({ accesses: 6, walks: 3, walkRefs: 10 });
      // Pages (last GiB): two different pages, two walks; the 4-entry L1 now holds 4 entries.
      tlb.run(new BigUint64Array([BASE + 3n * G, BASE + 3n * G + 4096n, BASE + 3n * G + 100n]));
      expect(tlb.counts()).toMatchObject({ accesses: 9, walks: 5, walkRefs: 18 });
      // LRU: the 1G entry was used least recently and is gone; the 64K run at BASE + G + 64K is still held.
      tlb.run(new BigUint64Array([BASE + G + 65n * 1024n, BASE + 7n]));
      expect(tlb.counts()).toMatchObject({ accesses: 11, walks: 6, walkRefs: 20 });
    });

    it(`${engine}: an L1 that does not hold 1G keeps the block as 2M entries; the L2 hit refills it`, () => {
      const tlb = make();
      tlb.configure(tiny(2, 4, ["4K", "64K", "2M"]), 1n); // neither holds 1G
      tlb.run(new BigUint64Array([BASE, BASE + 2n * M, BASE + 4n * M, BASE + 10n]));
      // Three 2M pieces of the 1G block: each misses L1 and L2 and walks (the L2 holds 2M pieces too);
      // then BASE: L1 (2 entries, LRU) lost it, the L2 still has it.
      const c = tlb.counts();
      expect(c.walks).toBe(3);
      expect(c.levels.map((l) => [l.lookups, l.misses])).toEqual([
        [4, 4],
        [4, 3],
      ]);
    });

    it(`${engine}: a walk cache of PMD entries saves all but the PTE read`, () => {
      const tlb = make();
      tlb.configure({ ...tiny(1), walkCache: { kind: "own", entries: 4, ways: 4, replacement: "lru", levels: [1] } }, 1n);
      const p = BASE + 3n * G;
      tlb.run(new BigUint64Array([p, p + 4096n, p + 8192n, p + 2n * M]));
      // Walk 1: 4 refs, fills the PMD entry; walks 2 and 3: 1 ref each; walk 4: another PTE table, 4 refs.
      expect(tlb.counts()).toMatchObject({ walks: 4, walkRefs: 10, walkCacheLookups: 4, walkCacheHits: 2 });
    });
  }
});

describe("TLB model: wasm against the reference", () => {
  const wasm = mixedMap(new WasmPageTable());
  const ref = mixedMap(new ReferencePageTable());
  const ranges = [{ va: BASE, length: 4n * G }];
  // The hole in the third GiB (64K at each end) is unmapped: offsets there fault, which is tested too.

  const shape = fc.record({
    entriesLog: fc.integer({ min: 0, max: 9 }),
    waysLog: fc.integer({ min: 0, max: 6 }),
    replacement: fc.constantFrom("lru" as const, "plru" as const, "random" as const),
  });
  const sizes = fc.subarray(["4K", "16K", "64K", "1M", "2M", "32M", "512M", "1G"], { minLength: 1 });
  const config = fc
    .record({
      l1: shape,
      l1Sizes: sizes,
      l2: fc.option(shape, { nil: undefined }),
      l2Sizes: sizes,
      walk: fc.constantFrom("none", "own", "shared"),
      walkLevels: fc.subarray([1, 2, 3], { minLength: 1 }),
      wc: shape,
    })
    .map(({ l1, l1Sizes, l2, l2Sizes, walk, walkLevels, wc }): TlbConfig => {
      const s = (x: { entriesLog: number; waysLog: number; replacement: "lru" | "plru" | "random" }) => {
        const ways = Math.min(1 << x.waysLog, 1 << x.entriesLog);
        return { entries: 1 << x.entriesLog, ways, replacement: x.replacement };
      };
      const levels = [{ name: "L1D", ...s(l1), sizes: l1Sizes, hitCycles: 0 }];
      if (l2) levels.push({ name: "L2", ...s(l2), sizes: l2Sizes, hitCycles: 3 });
      const walkCache: TlbConfig["walkCache"] =
        walk === "none" ? { kind: "none" } : walk === "shared" ? { kind: "shared", levels: walkLevels } : { kind: "own", levels: walkLevels, ...s(wc) };
      return { levels, walkCache, walkRefCycles: 20 };
    });
  const workload = fc.constantFrom("uniform", "seq:4K", "seq:60K", "zipf:0.9", "zipf:1.3:256M@1G", "ws:8M@2G", "mix:0.7*zipf:1.1+0.2*seq:4K+0.1*uniform", "ws:256K@3G");

  it("same counts on random configurations and workloads", () => {
    fc.assert(
      fc.property(config, workload, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (c, spec, seed) => {
        const layout = layOut(parseWorkload(spec), ranges, seed);
        const w = wasm.runTimeModel();
        w.setWorkload(layout);
        const vas = w.generate(3000);
        w.configure(c, seed);
        w.run(vas);
        const r = new ReferenceTlb(ref);
        r.configure(c, seed);
        r.run(vas);
        expect(w.counts()).toEqual(r.counts());
      }),
      { numRuns: 60 },
    );
  });

  it("the reference generator gives the wasm generator's stream", () => {
    for (const spec of ["uniform", "seq:4K", "seq:60K:1G@1G", "ws:8M@2G", "mix:0.7*seq:4K+0.2*ws:1M@3G+0.1*uniform", "zipf:1.1", "mix:0.5*zipf:0.8:1G@2G+0.5*uniform", "mix:1*ws:4K@0+0.00000000000000001*ws:4K@1G"]) {
      const layout = layOut(parseWorkload(spec), ranges, 42n);
      const w = wasm.runTimeModel();
      w.setWorkload(layout);
      const vas = w.generate(20000);
      const gen = new ReferenceWorkload(layout);
      const same = Array.from(vas).filter((va) => va === gen.next()).length;
      // Zipf draws go through exp/log, whose last bits may differ between V8 and AssemblyScript's libm:
      // a differing draw would desynchronise the rest, so equality of all 20000 is the test.
      expect(same, spec).toBe(vas.length);
    }
  });
});

describe("TLB model: every preset, every granule, wasm against the reference", () => {
  for (const granule of [4, 16, 64] as const) {
    it(`${granule}K pages: same counts for each core preset`, () => {
      const pt = new WasmPageTable({ granule, vaBits: 48 });
      const page = BigInt(granule) * 1024n;
      // Blocks and CONT runs (rodata=on-like), then a page-granular stretch, then an unaligned one.
      pt.map(BASE, 0n, 8n * G, PROT);
      pt.map(BASE + 8n * G, 8n * G, 4n * G, PROT, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
      pt.map(BASE + 12n * G + page, 12n * G + page, 2n * G - 2n * page, PROT);
      const ranges = [
        { va: BASE, length: 12n * G },
        { va: BASE + 12n * G + page, length: 2n * G - 2n * page },
      ];
      for (const [name, preset] of Object.entries(CORES)) {
        for (const spec of ["uniform", "mix:0.6*zipf:1.0+0.3*seq:4K+0.1*ws:64M@9G"]) {
          const w = pt.runTimeModel();
          w.setWorkload(layOut(parseWorkload(spec), ranges, 7n));
          const vas = w.generate(20_000);
          w.configure(preset.config, 7n);
          w.run(vas);
          const r = new ReferenceTlb(pt);
          r.configure(preset.config, 7n);
          r.run(vas);
          expect(w.counts(), `${name} ${spec}`).toEqual(r.counts());
        }
      }
      pt.dispose();
    });
  }
});
