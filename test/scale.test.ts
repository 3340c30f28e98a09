/**
 * Multi-terabyte linear maps on the wasm engine: page-granular 64 TiB, which would take 128 GiB of
 * table memory in the kernel (2 GiB of PTE tables per TiB), held in well under 1 GiB of wasm memory
 * because whole PTE tables are implicit (docs/engine.md, "Implicit leaf tables").
 * Expected numbers are the arithmetic of the 4K / 48-bit geometry, never read back from an engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, SET_MEMORY, pageKernel } from "../src/descriptor.js";
import { FAULT_PA } from "../src/types.js";
import { instantiateEngine } from "../src/wasm/module.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const TiB = 1n << 40n;
const SIZE = 64n * TiB;
const PROT = pageKernel({ tagged: true });
const FLAGS = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;

/** xorshift64: the same pseudo-random VAs on every run. */
function randomVas(n: number, seed = 0x9e3779b97f4a7c15n): BigUint64Array {
  const vas = new BigUint64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= BigInt.asUintN(64, x << 13n);
    x ^= x >> 7n;
    x ^= BigInt.asUintN(64, x << 17n);
    vas[i] = PAGE_OFFSET + (x % SIZE);
  }
  return vas;
}

describe("64 TiB page-granular linear map (4K pages, 48-bit VA)", () => {
  let pt: WasmPageTable;

  beforeAll(() => {
    pt = new WasmPageTable();
    // One bank at PA 0, the whole of it at PAGE_OFFSET: va = pa + PAGE_OFFSET.
    pt.map(PAGE_OFFSET, 0n, SIZE, PROT, FLAGS);
  });
  afterAll(() => pt.dispose());

  it("counts every table the kernel would allocate", () => {
    // PTE tables map 2 MiB each, PMD tables 1 GiB, PUD tables 512 GiB; plus the PGD.
    const pte = 64 * 2 ** 19; // 64 TiB / 2 MiB = 2^25
    const pmd = 64 * 2 ** 10; // 64 TiB / 1 GiB = 2^16
    const pud = 64 / 0.5; // 64 TiB / 512 GiB = 128
    const s = pt.stats();
    expect(s.levels.map((l) => l.live)).toEqual([pte, pmd, pud, 1]);
    expect(s.levels.map((l) => l.allocated)).toEqual([pte, pmd, pud, 1]);
    // Every entry of every table is written once: 512 per table below the PGD, 128 in the PGD.
    expect(s.levels.map((l) => l.writes)).toEqual([pte * 512, pmd * 512, pud * 512, pud]);
    expect(s.tableBytes).toBe((pte + pmd + pud) * 4096); // below the PGD
    expect(s.tableBytes).toBe(137_707_913_216); // 128.25 GiB
  });

  it("holds them in far less memory than the kernel would", () => {
    const u = pt.memoryUsage();
    expect(u.tableBytes).toBe(pt.stats().tableBytes);
    // PTE tables are implicit (8 bytes of frame map each); PMD, PUD tables and the PGD are pages.
    expect(u.implicitTables).toBe(2 ** 25);
    expect(u.realTables).toBe(2 ** 16 + 128 + 1);
    expect(u.simulatorBytes).toBe((2 ** 16 + 128 + 1) * 4096 + (2 ** 25 + 2 ** 16 + 128 + 1) * 8);
    expect(u.simulatorBytes).toBeLessThan(u.tableBytes / 200);
    expect(u.wasmMemoryBytes).toBeLessThan(1.5 * 2 ** 30);
  });

  it("walks to pa = va - PAGE_OFFSET, with both batch strategies", () => {
    const vas = randomVas(200_000);
    const { pa, level } = pt.walkMany(vas);
    for (let i = 0; i < vas.length; i++) {
      if (pa[i] !== vas[i] - PAGE_OFFSET || level[i] !== 3) expect([vas[i], pa[i], level[i]]).toEqual([vas[i], vas[i] - PAGE_OFFSET, 3]);
    }
    // The four-walk lockstep, forced on a table this size.
    const x = instantiateEngine();
    const lockstep = new WasmPageTable({}, x);
    x.setWalkStrategy(1);
    lockstep.map(PAGE_OFFSET, 0n, SIZE, PROT, FLAGS);
    const again = lockstep.walkMany(vas.subarray(0, 20_000));
    expect(again.pa).toEqual(pa.subarray(0, 20_000));
    lockstep.dispose();
  });

  it("single walks read the descriptors the kernel would have written", () => {
    const uxnTable = 1n << 60n;
    for (const va of [PAGE_OFFSET, PAGE_OFFSET + SIZE - 1n, ...randomVas(100, 12345n)]) {
      const w = pt.walk(va);
      const pa = va - PAGE_OFFSET;
      expect(w.pa).toBe(pa);
      expect(w.level).toBe(3);
      expect(w.descriptor).toBe((pa & ~0xfffn) | PROT);
      expect(w.path).toHaveLength(4);
      expect(w.path[3]).toBe(w.descriptor);
      // Table descriptors: frame << 12 | 0b11 | UXNTable; frames in allocation order, depth first:
      // PUD table p at frame 1 + p * (1 + 512 * 513), its PMD table m at + 1 + m * 513, then its PTEs.
      const p = pa >> 39n;
      const m = (pa >> 30n) & 511n;
      const e = (pa >> 21n) & 511n;
      const pudFrame = 1n + p * (1n + 512n * 513n);
      const pmdFrame = pudFrame + 1n + m * 513n;
      expect(w.path.slice(0, 3)).toEqual([pudFrame, pmdFrame, pmdFrame + 1n + e].map((f) => (f << 12n) | 3n | uxnTable));
    }
    // Beyond the bank: the PGD entry is empty.
    expect(pt.walk(PAGE_OFFSET + SIZE).fault).toBe("translation");
    expect(pt.walk(PAGE_OFFSET + SIZE).level).toBe(0);
    expect(pt.walkMany(BigUint64Array.of(PAGE_OFFSET + SIZE)).pa[0]).toBe(FAULT_PA);
  });

  it("dumps as one range", () => {
    const r = pt.ranges({ end: PAGE_OFFSET + SIZE });
    expect(r).toEqual([{ start: PAGE_OFFSET, end: PAGE_OFFSET + SIZE, level: 3, descriptor: PROT }]);
  });

  it("changes attributes of whole tables in place, materializes only partial ones", () => {
    const before = pt.memoryUsage();
    // set_memory_ro over 1 TiB starting half a table in: whole tables keep their records; the two
    // tables at the ends are materialized.
    const start = PAGE_OFFSET + 3n * TiB + (1n << 20n);
    const r = pt.setMemory(start, TiB, SET_MEMORY.ro.set, SET_MEMORY.ro.clear);
    expect(r.descriptorsWritten).toBe(2 ** 28); // 1 TiB / 4 KiB
    const after = pt.memoryUsage();
    expect(after.realTables).toBe(before.realTables + 2);
    expect(after.implicitTables).toBe(before.implicitTables - 2);
    const ro = (PROT & ~SET_MEMORY.ro.clear) | SET_MEMORY.ro.set;
    expect(pt.walk(start - 8n).descriptor).toBe(((start - 8n - PAGE_OFFSET) & ~0xfffn) | PROT);
    expect(pt.walk(start).descriptor).toBe(((start - PAGE_OFFSET) & ~0xfffn) | ro);
    expect(pt.walk(start + TiB / 2n).descriptor).toBe(((start + TiB / 2n - PAGE_OFFSET) & ~0xfffn) | ro);
    expect(pt.walk(start + TiB).descriptor).toBe(((start + TiB - PAGE_OFFSET) & ~0xfffn) | PROT);
    // Unmapping the aligned TiB at 8 TiB frees its 2^19 PTE tables (records: no page is read),
    // 2^10 PMD tables and the 2 PUD tables that become empty.
    const u = pt.unmap(PAGE_OFFSET + 8n * TiB, TiB);
    expect(u.framesFreed).toBe(2 ** 19 + 2 ** 10 + 2);
    expect(pt.walk(PAGE_OFFSET + 8n * TiB).fault).toBe("translation");
  });
});
