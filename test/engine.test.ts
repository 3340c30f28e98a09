/**
 * Engine tests with hand-derived expectations, run against every engine in ENGINES. Each expected
 * number is derived in a comment from the architecture (Arm ARM VMSAv8-64) or the kernel source
 * (arch/arm64/mm/mmu.c, pageattr.c) and docs/engine.md, never read back from an engine.
 *
 * Notation: VA0 = 0xffff000000000000, the TTBR1 base (PAGE_OFFSET) with 48-bit VAs. With 4K pages and
 * 48 bits: PGD index = VA[47:39], PUD = VA[38:30], PMD = VA[29:21], PTE = VA[20:12]; VA0 has all
 * indexes 0. Frames are numbered in allocation order: 0 = PGD, then 1, 2, …; a table descriptor's OA
 * is frame << PAGE_SHIFT.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NO_BLOCK_MAPPINGS,
  NO_CONT_MAPPINGS,
  NO_EXEC_MAPPINGS,
  PTE_CONT,
  PTE_NG,
  PTE_VALID,
  SET_MEMORY,
  pageKernel,
  pageKernelRO,
} from "../src/descriptor.js";
import {
  BlockMappingError,
  EngineUnusableError,
  InvalidArgumentError,
  NotMappedError,
  PgtableError,
  UnsafeChangeError,
} from "../src/errors.js";
import { FAULT_PA, type PageTableEngine, type PageTableOptions } from "../src/types.js";
import { ENGINES } from "./engines.js";

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;
const VA0 = 0xffff_0000_0000_0000n;

// The engine tests map with PROT_NORMAL, i.e. pageKernel({ dirty: false }) (see the first test); the
// engines treat every non-OA bit alike, so the software bit would only add noise to the numbers.
const PK = 0x0068_0000_0000_0703n;
/** A pageKernel variant without the software DIRTY bit, like PK. */
const pk = (o: Parameters<typeof pageKernel>[0] = {}) => pageKernel({ dirty: false, ...o });
// a block clears bit 1 (mk_pmd_sect_prot): ...0703 -> ...0701
const PK_BLOCK = 0x0068_0000_0000_0701n;
const CONT = 0x0010_0000_0000_0000n; // bit 52
const UXN_TABLE = 0x1000_0000_0000_0000n; // bit 60
const PXN_TABLE = 0x0800_0000_0000_0000n; // bit 59
const WRITE = 0x0008_0000_0000_0000n; // bit 51 (DBM)
const RDONLY = 0x80n; // bit 7
/** Both engines take `safeRule` beside the common options. */
const V612 = { safeRule: "v6.12" } as PageTableOptions;

/** Table descriptor of frame `f` with 4K pages: OA = f << 12, type 0b11, UXNTable by default. */
function table4k(f: number, attrs = UXN_TABLE): bigint {
  return (BigInt(f) << 12n) | 3n | attrs;
}

/** Runs `fn` and returns what it threw (fails the test if nothing). */
function thrown(fn: () => unknown): PgtableError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PgtableError);
    return e as PgtableError;
  }
  throw new Error("expected a throw");
}

/** The argument an InvalidArgumentError names. */
function badArgument(fn: () => unknown): string {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  return (e as InvalidArgumentError).argument;
}

/** Everything observable about the tables, to check a refused call changed nothing. */
function snapshot(e: PageTableEngine) {
  return { stats: e.stats(), ranges: e.ranges() };
}

describe("page templates (src/descriptor.ts)", () => {
  it("PAGE_KERNEL and its tagged and nG variants", () => {
    // PROT_NORMAL = PTE_TYPE_PAGE (0b11) | SH inner (0b11 << 8) | AF (1 << 10) -> 0x703,
    //             | WRITE/DBM (bit 51) | PXN (bit 53) | UXN (bit 54) -> 0x0068 << 48, AttrIndx 0.
    // _PAGE_KERNEL = PROT_NORMAL | PTE_DIRTY (software bit 55) in v6.1 and v6.12 -> 0x00e8 << 48.
    expect(pageKernel()).toBe(0x00e8_0000_0000_0703n);
    expect(pageKernel({ dirty: false })).toBe(0x0068_0000_0000_0703n);
    // pgprot_tagged: AttrIndx = MT_NORMAL_TAGGED (1) in bits [4:2] -> + 0x4
    expect(pageKernel({ tagged: true })).toBe(0x00e8_0000_0000_0707n);
    // KPTI's nG (bit 11, 0x800) on top; without the software bit, the value seen in real oopses
    expect(pageKernel({ tagged: true, nG: true })).toBe(0x00e8_0000_0000_0f07n);
    expect(pageKernel({ tagged: true, nG: true, dirty: false })).toBe(0x0068_0000_0000_0f07n);
    // PAGE_KERNEL_RO: WRITE (bit 51) cleared, RDONLY (bit 7) set
    expect(pageKernelRO()).toBe(0x00e0_0000_0000_0783n);
  });
});

describe.each(ENGINES)("$name engine", ({ create }) => {
  describe("a new table", () => {
    it("has only the PGD, counted at the top level", () => {
      const e = create();
      const s = e.stats();
      // 4K, 48 bits: ceil((48 - 12) / 9) = 4 levels
      expect(s.levels).toHaveLength(4);
      expect(s.levels[3]).toEqual({ name: "PGD", level: 0, allocated: 1, freed: 0, live: 1, writes: 0 });
      expect(s.levels.map((l) => [l.name, l.level])).toEqual([["PTE", 3], ["PMD", 2], ["PUD", 1], ["PGD", 0]]);
      expect(s.levels.slice(0, 3).every((l) => l.allocated === 0 && l.writes === 0)).toBe(true);
      expect(s.liveFrames).toBe(1);
      expect(s.tableBytes).toBe(0); // nothing below the PGD yet
      expect(s.descriptorsWritten).toBe(0);
      // every PGD entry is empty: one range at level 0 over the whole TTBR1 space
      expect(e.ranges()).toEqual([{ start: VA0, end: 1n << 64n, level: 0, descriptor: 0n }]);
    });
  });

  describe("map", () => {
    it("1 GiB at an aligned VA and PA is a single PUD block", () => {
      const e = create();
      // addr = VA0, next = VA0 + 1G, phys = 0x40000000: all 1G aligned, 4K granule, no NO_BLOCK
      // -> alloc_init_pud puts down a block: 0x40000000 | (PK & ~2) = 0x0068000040000701.
      const r = e.map(VA0, 0x4000_0000n, GiB, PK);
      // frames: the PUD table under PGD[0] (frame 1). Writes: PGD[0] (table) + PUD[0] (block).
      expect(r).toEqual({ framesAllocated: 1, descriptorsWritten: 2 });
      const s = e.stats();
      expect(s.levels[3]).toEqual({ name: "PGD", level: 0, allocated: 1, freed: 0, live: 1, writes: 1 });
      expect(s.levels[2]).toEqual({ name: "PUD", level: 1, allocated: 1, freed: 0, live: 1, writes: 1 });
      expect(s.levels[1]).toEqual({ name: "PMD", level: 2, allocated: 0, freed: 0, live: 0, writes: 0 });
      expect(s.levels[0]).toEqual({ name: "PTE", level: 3, allocated: 0, freed: 0, live: 0, writes: 0 });
      expect(s).toMatchObject({ liveFrames: 2, tableBytes: 4096, descriptorsWritten: 2 }); // the PUD table

      const w = e.walk(VA0 + 0x1234_5678n);
      // block at hardware level 1: PA = OA[47:30] | VA[29:0] = 0x40000000 + 0x12345678
      expect(w).toEqual({
        va: VA0 + 0x1234_5678n,
        pa: 0x5234_5678n,
        level: 1,
        descriptor: 0x0068_0000_4000_0701n,
        tableAttrs: UXN_TABLE,
        path: [table4k(1), 0x0068_0000_4000_0701n],
        fault: undefined,
      });
    });

    it("NO_EXEC_MAPPINGS adds PXNTable; tableAttrs 0 gives bare table descriptors", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 4n * KiB, PK, NO_EXEC_MAPPINGS);
      const w = e.walk(VA0);
      // PGD, PUD, PMD entries are tables to frames 1, 2, 3 with UXNTable | PXNTable (bits 60, 59)
      expect(w.path.slice(0, 3)).toEqual([1, 2, 3].map((f) => table4k(f, UXN_TABLE | PXN_TABLE)));
      expect(w.tableAttrs).toBe(UXN_TABLE | PXN_TABLE);
      // a lone 4K page: no CONT (a 64K chunk is not covered)
      expect(w.descriptor).toBe(0x0068_0000_4000_0703n);

      const old = create({ tableAttrs: 0n });
      old.map(VA0, 0x4000_0000n, 4n * KiB, PK);
      expect(old.walk(VA0).path.slice(0, 3)).toEqual([0x1003n, 0x2003n, 0x3003n]);
    });

    it("CONT only on complete, aligned 16-page groups", () => {
      // va = VA0 + 32K, size = 2M + 64K, pa congruent: [VA0+32K, VA0+2M+96K), NO_BLOCK_MAPPINGS.
      // alloc_init_cont_pte chunks at 64K boundaries:
      //   [32K, 64K): partial group, 8 pages, no CONT
      //   [64K, 2M) in PTE table A and [2M, 2M+64K) in PTE table B: 31 + 1 = 32 full groups, 512 pages, CONT
      //   [2M+64K, 2M+96K): partial group, 8 pages, no CONT
      // 528 pages = (2M + 64K) / 4K. The PMD chunk [VA0+32K, end) is not 32M aligned: no CONT there.
      const va = VA0 + 32n * KiB;
      const pa = 0x8000_8000n;
      const size = 2n * MiB + 64n * KiB;
      const cont = create();
      const r = cont.map(va, pa, size, PK, NO_BLOCK_MAPPINGS);
      // frames: PUD + PMD + 2 PTE tables; writes: PGD 1 + PUD 1 + PMD 2 + PTE 528
      expect(r).toEqual({ framesAllocated: 4, descriptorsWritten: 532 });
      const noCont = create();
      noCont.map(va, pa, size, PK, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);

      const pages = Number(size / (4n * KiB));
      const contPages: number[] = [];
      for (let i = 0; i < pages; i++) {
        const v = va + BigInt(i) * 4n * KiB;
        const w = cont.walk(v);
        expect(w.pa).toBe(pa + BigInt(i) * 4n * KiB);
        expect(w.level).toBe(3);
        if (w.descriptor & PTE_CONT) contPages.push(i);
        // descriptor = OA | PK (| CONT)
        expect(w.descriptor & ~CONT).toBe((pa + BigInt(i) * 4n * KiB) | PK);
        expect(noCont.walk(v).descriptor & PTE_CONT).toBe(0n);
      }
      // pages 8 .. 519 (VA0+64K .. VA0+2M+64K) are CONT: 512 of them
      expect(contPages).toEqual(Array.from({ length: 512 }, (_, k) => k + 8));
    });

    it("1 GiB page-granular: 1 PUD + 1 PMD + 512 PTE tables (4K)", () => {
      const e = create();
      // PMD entries: 1G / 2M = 512, each a PTE table of 512 pages; every 64K group aligned -> CONT.
      const r = e.map(VA0, 0x4000_0000n, GiB, PK, NO_BLOCK_MAPPINGS);
      expect(r.framesAllocated).toBe(1 + 1 + 512);
      // writes: 262144 PTEs + 512 PMD table descriptors + 1 PUD + 1 PGD
      expect(r.descriptorsWritten).toBe(262144 + 512 + 1 + 1);
      const s = e.stats();
      expect(s.levels.map((l) => l.allocated)).toEqual([512, 1, 1, 1]);
      expect(s.levels.map((l) => l.writes)).toEqual([262144, 512, 1, 1]);
      expect(s.liveFrames).toBe(515);
      const w = e.walk(VA0 + GiB - 4n * KiB);
      expect(w).toMatchObject({ pa: 0x4000_0000n + GiB - 4n * KiB, level: 3 });
      expect(w.descriptor).toBe((0x4000_0000n + GiB - 4n * KiB) | PK | CONT);
    });

    it("1 GiB page-granular with 16K pages: 1 PUD + 1 PMD + 32 PTE tables", () => {
      // 16K, 48 bits: 4 levels, PMD entry 32M (shift 25), 2048 PTEs of 16K per table.
      // 1G / 32M = 32 PTE tables; 1G / 16K = 65536 PTEs; CONT_PTE = 128 pages (2M), all aligned.
      const e = create({ granule: 16 });
      const r = e.map(VA0, 0x4000_0000n, GiB, PK, NO_BLOCK_MAPPINGS);
      expect(r.framesAllocated).toBe(34);
      expect(e.stats().levels.map((l) => l.allocated)).toEqual([32, 1, 1, 1]);
      expect(e.stats().levels.map((l) => l.writes)).toEqual([65536, 32, 1, 1]);
      const w = e.walk(VA0 + 0x1234_5678n);
      // page OA = 0x40000000 + (0x12345678 & ~0x3fff) = 0x52344000
      expect(w).toMatchObject({ pa: 0x5234_5678n, level: 3, descriptor: 0x5234_4000n | PK | CONT });
      expect(w.path).toHaveLength(4);
      // 16K table descriptors: OA = frame << 14
      expect(w.path[0]).toBe((1n << 14n) | 3n | UXN_TABLE);
    });

    it("1 GiB page-granular with 64K pages: 1 PMD + 2 PTE tables (3 levels)", () => {
      // 64K, 48 bits: ceil(32 / 13) = 3 levels; top (d = 2) has 2^(48-42) = 64 entries of 4T;
      // PMD entry 512M; 1G = 2 PTE tables of 8192 pages; CONT_PTE 32 pages (2M).
      const e = create({ granule: 64 });
      const r = e.map(VA0, 0x4000_0000n, GiB, PK, NO_BLOCK_MAPPINGS);
      expect(r.framesAllocated).toBe(3);
      expect(e.stats().levels.map((l) => l.allocated)).toEqual([2, 1, 1]);
      expect(e.stats().levels.map((l) => l.writes)).toEqual([16384, 2, 1]);
      expect(e.walk(VA0 + GiB - 1n)).toMatchObject({ pa: 0x4000_0000n + GiB - 1n, level: 3 });
      // with blocks allowed: two 512M PMD blocks, no PTE tables
      const b = create({ granule: 64 });
      expect(b.map(VA0, 0x4000_0000n, GiB, PK)).toEqual({ framesAllocated: 1, descriptorsWritten: 3 });
      expect(b.walk(VA0 + 512n * MiB)).toMatchObject({ level: 2, pa: 0x6000_0000n, descriptor: 0x6000_0000n | PK_BLOCK });
    });

    it("39-bit VAs (3 levels, 4K): 1G blocks live in the PGD", () => {
      // TTBR1 base = 2^64 - 2^39; top d = 2 (PGD = PUD), 512 entries of 1G.
      const base = 0xffff_ff80_0000_0000n;
      const e = create({ vaBits: 39 });
      expect(e.stats().levels).toHaveLength(3);
      // a 1G block directly in PGD[0]: no frame allocated, one write at the top level
      expect(e.map(base, 0x4000_0000n, GiB, PK)).toEqual({ framesAllocated: 0, descriptorsWritten: 1 });
      expect(e.walk(base + 5n)).toEqual({
        va: base + 5n,
        pa: 0x4000_0005n,
        level: 1,
        descriptor: 0x0068_0000_4000_0701n,
        tableAttrs: 0n,
        path: [0x0068_0000_4000_0701n],
        fault: undefined,
      });
      // a page in the next 1G: PMD table (frame 1) + PTE table (frame 2)
      e.map(base + GiB, 0x8000_0000n, 4n * KiB, PK);
      const w = e.walk(base + GiB + 0x10n);
      expect(w).toMatchObject({ pa: 0x8000_0010n, level: 3 });
      expect(w.path).toEqual([table4k(1), table4k(2), 0x8000_0000n | PK]);
      // a VA below 2^64 - 2^39 is outside TTBR1
      expect(e.walk(base - 4096n)).toMatchObject({ fault: "range", level: 1, pa: undefined });
    });

    it("52-bit VAs with LPA2 (4K, 5 levels): OA[51:50] in descriptor bits [9:8]", () => {
      // TTBR1 base = 2^64 - 2^52; ceil(40 / 9) = 5 levels, top d = 4 (hardware level -1), 16 entries.
      const base = 0xfff0_0000_0000_0000n;
      const e = create({ vaBits: 52 });
      const prot = pk({ shared: false }); // no SH with LPA2: 0x0068000000000403
      expect(prot).toBe(0x0068_0000_0000_0403n);
      // SH bits are OA bits with LPA2: PAGE_KERNEL with SH is refused
      expect(badArgument(() => e.map(base, 0n, 4096n, PK))).toBe("prot");
      // PA = 2^51 + 0x40000000 (above 2^50): OA[51:50] = 0b10 -> bits [9:8] = 0x200,
      // OA[49:12] in place = 0x40000000
      const pa = (2n << 50n) | 0x4000_0000n;
      const r = e.map(base, pa, 4096n, prot);
      // P4D, PUD, PMD, PTE tables; writes: 4 table descriptors + 1 page
      expect(r).toEqual({ framesAllocated: 4, descriptorsWritten: 5 });
      const w = e.walk(base + 0xabcn);
      expect(w.pa).toBe(pa + 0xabcn);
      expect(w.level).toBe(3);
      expect(w.descriptor).toBe(0x0068_0000_4000_0603n); // 0x4000_0000 | 0x200 | 0x...0403
      expect(w.path).toHaveLength(5);
      expect(e.stats().levels).toHaveLength(5);
      // the walk fault of an empty top entry is at hardware level -1
      expect(e.walk(base + (1n << 48n))).toMatchObject({ fault: "translation", level: -1 });
      // PA limit is 2^52
      expect(badArgument(() => e.map(base, 1n << 52n, 4096n, prot))).toBe("pa");
    });

    it("52-bit VAs with 64K pages (FEAT_LPA): OA[51:48] in descriptor bits [15:12]", () => {
      // 64K, 52 bits: 3 levels, top d = 2 with 2^(52-42) = 1024 entries.
      const base = 0xfff0_0000_0000_0000n;
      const e = create({ granule: 64, vaBits: 52 });
      // PA = 0x5 << 48 | 0x20000000: bits [15:12] = 0x5 -> 0x5000; OA[47:16] in place
      const pa = (5n << 48n) | 0x2000_0000n;
      e.map(base, pa, 64n * KiB, PK);
      const w = e.walk(base + 0x1234n);
      expect(w).toMatchObject({ pa: pa + 0x1234n, level: 3, descriptor: 0x2000_5000n | PK });
    });

    it("2 levels (16K, 36 bits): the PMD is the top table, and gets no CONT", () => {
      // ceil((36 - 14) / 11) = 2 levels; top d = 1 with 2^(36-25) = 2048 entries of 32M.
      // __create_pgd_mapping hands the top level one entry (pgd_addr_end) at a time, so the
      // CONT_PMD chunk (32 x 32M = 1G) never fits: 32 plain 32M blocks, no table allocated.
      const base = 0xffff_fff0_0000_0000n;
      const e = create({ granule: 16, vaBits: 36 });
      expect(e.map(base, 0x4000_0000n, GiB, PK)).toEqual({ framesAllocated: 0, descriptorsWritten: 32 });
      expect(e.walk(base + GiB - 1n)).toMatchObject({ level: 2, pa: 0x7fff_ffffn, descriptor: 0x7e00_0000n | PK_BLOCK }); // 0x40000000 + 31 * 32M
      expect(e.ranges({ end: base + GiB })).toEqual([{ start: base, end: base + GiB, level: 2, descriptor: 0x4000_0000n | PK_BLOCK }]);
      // a page below the top: one PTE table; 16K pages come in CONT groups of 128 (2M)
      e.map(base + GiB, 0x8000_0000n, 2n * MiB, PK);
      expect(e.walk(base + GiB)).toMatchObject({ level: 3, descriptor: 0x8000_0000n | PK | CONT });
      expect(e.walk(base + GiB).path).toEqual([(1n << 14n) | 3n | UXN_TABLE, 0x8000_0000n | PK | CONT]);
    });

    it("refuses to remap a live page to another PA, and leaves no trace", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      const before = snapshot(e);
      // pgattr_change_is_safe: both valid, OA differs -> unsafe
      const err = thrown(() => e.map(VA0, 0x4000_1000n, 4096n, PK));
      expect(err).toBeInstanceOf(UnsafeChangeError);
      expect(err).toMatchObject({ code: "unsafe", va: VA0, level: 3, old: 0x0068_0000_4000_0703n, new: 0x0068_0000_4000_1703n });
      expect(snapshot(e)).toEqual(before);
    });

    it("allows permission changes of a live page, not CONT or nG -> global", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      // PAGE_KERNEL -> PAGE_KERNEL_RO changes only WRITE and RDONLY: safe, written in place
      expect(e.map(VA0, 0x4000_0000n, 4096n, pageKernelRO({ dirty: false }))).toEqual({ framesAllocated: 0, descriptorsWritten: 1 });
      expect(e.walk(VA0).descriptor).toBe(0x0060_0000_4000_0783n);
      // Normal <-> Normal-Tagged is safe
      e.map(VA0, 0x4000_0000n, 4096n, pk({ tagged: true }));
      // global -> nG safe, nG -> global refused
      e.map(VA0, 0x4000_0000n, 4096n, pk({ nG: true }));
      expect(thrown(() => e.map(VA0, 0x4000_0000n, 4096n, PK))).toBeInstanceOf(UnsafeChangeError);
      // Device memory type is not a permission change
      const device = (PK & ~0x1cn) | (4n << 2n);
      expect(thrown(() => e.map(VA0, 0x4000_0000n, 4096n, device | PTE_NG))).toBeInstanceOf(UnsafeChangeError);
      // a live CONT mapping may not be rewritten even identically
      const c = create();
      c.map(VA0, 0x4000_0000n, 64n * KiB, PK, NO_BLOCK_MAPPINGS);
      const err = thrown(() => c.map(VA0, 0x4000_0000n, 64n * KiB, PK, NO_BLOCK_MAPPINGS));
      expect(err).toMatchObject({ va: VA0, level: 3, old: 0x4000_0000n | PK | CONT, new: 0x4000_0000n | PK | CONT });
    });

    it("pgattr_change_is_safe: v6.1 (default) and v6.12 rules", () => {
      // v6.1: only an all-zero side is safe; v6.12: any invalid side is, and software bits
      // (55-58, 63) may change. The PTE invalidated by set_memory_valid(…, 0) is PK & ~1 (nonzero).
      const v61 = create();
      const v612 = create(V612);
      for (const e of [v61, v612]) {
        e.map(VA0, 0x4000_0000n, 4096n, PK);
        e.setMemory(VA0, 4096n, 0n, PTE_VALID);
      }
      // remap the invalid PTE elsewhere: v6.1 sees bit 0 and the OA change; v6.12 sees an invalid side
      expect(thrown(() => v61.map(VA0, 0x9000_0000n, 4096n, PK))).toMatchObject({
        code: "unsafe",
        old: 0x0068_0000_4000_0702n,
        new: 0x0068_0000_9000_0703n,
      });
      v612.map(VA0, 0x9000_0000n, 4096n, PK);
      expect(v612.walk(VA0).pa).toBe(0x9000_0000n);
      // the software DIRTY bit (55): pageKernel() has it, PK does not
      v61.map(VA0 + 4096n, 0x4000_1000n, 4096n, PK);
      expect(thrown(() => v61.map(VA0 + 4096n, 0x4000_1000n, 4096n, pageKernel()))).toBeInstanceOf(UnsafeChangeError);
      v612.map(VA0 + 4096n, 0x4000_1000n, 4096n, PK);
      v612.map(VA0 + 4096n, 0x4000_1000n, 4096n, pageKernel());
      expect(v612.walk(VA0 + 4096n).descriptor).toBe(0x00e8_0000_4000_1703n);
      // v6.12 still refuses an OA change of a valid entry
      expect(thrown(() => v612.map(VA0 + 4096n, 0x4000_2000n, 4096n, pageKernel()))).toBeInstanceOf(UnsafeChangeError);
    });

    it("refuses pages inside a block and a block over a table", () => {
      const e = create();
      // 2M block at VA0: PMD[0] = 0x40000000 | PK_BLOCK (PUD table frame 1, PMD table frame 2)
      e.map(VA0, 0x4000_0000n, 2n * MiB, PK);
      const before = snapshot(e);
      // a page at VA0 + 4K: init_pmd is not aligned -> alloc_init_cont_pte -> BUG_ON(pmd_sect)
      const err = thrown(() => e.map(VA0 + 4096n, 0x4000_1000n, 4096n, PK));
      expect(err).toBeInstanceOf(UnsafeChangeError);
      // `new` is the type the entry needed, PMD_TYPE_TABLE (0b11): no frame, so no OA, no attributes
      expect(err).toMatchObject({ va: VA0 + 4096n, level: 2, old: 0x4000_0000n | PK_BLOCK, new: 3n });
      expect(snapshot(e)).toEqual(before);

      const t = create();
      t.map(VA0 + 2n * MiB, 0x4020_0000n, 4096n, PK); // PMD[1] -> PTE table (frame 3)
      const err2 = thrown(() => t.map(VA0, 0x4000_0000n, 4n * MiB, PK));
      // PMD[0] gets its block first (safe: empty), then PMD[1] is a table -> refused, whole call undone
      expect(err2).toMatchObject({ va: VA0 + 2n * MiB, level: 2, old: table4k(3), new: 0x4020_0000n | PK_BLOCK });
      expect(t.walk(VA0)).toMatchObject({ fault: "translation", level: 2 });
    });

    it("a refused map undoes its earlier writes and allocations", () => {
      const e = create();
      e.map(VA0 + 6n * MiB, 0x1_0000_0000n, 4096n, PK, NO_BLOCK_MAPPINGS);
      const before = snapshot(e);
      // pages from VA0 write PMD[0..2] tables and 1536 pages before meeting PMD[3]'s live page
      const err = thrown(() => e.map(VA0, 0x4000_0000n, 8n * MiB, PK, NO_BLOCK_MAPPINGS));
      expect(err).toMatchObject({ va: VA0 + 6n * MiB, level: 3 });
      expect(snapshot(e)).toEqual(before);
      // the frames it took are free again: the next table gets frame 4 (1-3 are PUD, PMD, PTE)
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      expect(e.walk(VA0).path[2]).toBe(table4k(4));
    });
  });

  describe("walk", () => {
    it("faults at each level", () => {
      const e = create();
      // empty PGD entry: hardware level 0
      expect(e.walk(VA0)).toEqual({
        va: VA0,
        pa: undefined,
        level: 0,
        descriptor: 0n,
        tableAttrs: 0n,
        path: [0n],
        fault: "translation",
      });
      e.map(VA0, 0x4000_0000n, GiB, PK); // PUD[0] block
      // empty PUD entry: PUD[1] (VA0 + 1G), level 1
      expect(e.walk(VA0 + GiB)).toMatchObject({ fault: "translation", level: 1, descriptor: 0n, path: [table4k(1), 0n] });
      e.map(VA0 + 2n * GiB, 0x8000_0000n, 2n * MiB, PK); // PUD[2] -> PMD table (frame 2), PMD[0] block
      // empty PMD entry: PMD[1] under PUD[2], level 2
      expect(e.walk(VA0 + 2n * GiB + 2n * MiB)).toMatchObject({ fault: "translation", level: 2, path: [table4k(1), table4k(2), 0n] });
      // invalid PTE: pages with NO_CONT, then set_memory_valid(VA, 1, 0) on the first
      e.map(VA0 + 3n * GiB, 0xc000_0000n, 64n * KiB, PK, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
      e.setMemory(VA0 + 3n * GiB, 4096n, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear);
      // the PTE keeps everything but bit 0: 0xc0000000 | 0x...0703 -> ...0702
      expect(e.walk(VA0 + 3n * GiB)).toMatchObject({ fault: "translation", level: 3, descriptor: 0x0068_0000_c000_0702n });
      expect(e.walk(VA0 + 3n * GiB + 4096n)).toMatchObject({ fault: undefined, pa: 0xc000_1000n });
      // below TTBR1 (VA0 - 4K): a range fault at the top level (0 with 4 levels)
      expect(e.walk(VA0 - 4096n)).toEqual({
        va: VA0 - 4096n,
        pa: undefined,
        level: 0,
        descriptor: 0n,
        tableAttrs: 0n,
        path: [],
        fault: "range",
      });
    });

    it("walkMany gives PAs, levels and FAULT_PA", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, GiB, PK);
      e.map(VA0 + GiB, 0x8000_0000n, 4096n, PK);
      const vas = BigUint64Array.from([VA0 + 8n, VA0 + GiB + 0xfffn, VA0 + GiB + 4096n, 0n]);
      const r = e.walkMany(vas);
      expect(Array.from(r.pa)).toEqual([0x4000_0008n, 0x8000_0fffn, FAULT_PA, FAULT_PA]);
      // block at 1, page at 3, empty PTE at 3, VA 0 outside TTBR1 at the top (0)
      expect(Array.from(r.level)).toEqual([1, 3, 3, 0]);
    });

    it("property: every VA inside a map translates to pa0 + (va - va0)", () => {
      const e = create();
      // disjoint slots 8 GiB apart; within a slot an offset and a size; PA either arbitrary
      // (pages only line up by chance) or congruent to the VA modulo 1G (blocks and CONT possible)
      const mapping = fc.record({
        pageOffset: fc.integer({ min: 0, max: (1 << 19) - 1 }), // < 2 GiB in 4K pages
        pages: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 4 }).map((g) => g * 262144 + 17)),
        congruent: fc.boolean(),
        paPage: fc.integer({ min: 0, max: (1 << 24) - 1 }),
        flags: fc.constantFrom(0, NO_CONT_MAPPINGS, NO_BLOCK_MAPPINGS, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS),
        probes: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
      });
      fc.assert(
        fc.property(fc.array(mapping, { minLength: 1, maxLength: 4 }), (maps) => {
          e.reset();
          const checks: Array<[bigint, bigint]> = [];
          maps.forEach((m, slot) => {
            const size = BigInt(m.pages) * 4096n;
            // big maps stay fast: blocks allowed and a PA congruent to the VA, so only the edges are pages
            const big = m.pages > 600;
            const flags = big ? m.flags & ~NO_BLOCK_MAPPINGS : m.flags;
            const va0 = VA0 + BigInt(slot) * 8n * GiB + BigInt(m.pageOffset) * 4096n;
            const pa0 = m.congruent || big ? (BigInt(m.paPage) << 30n) % (1n << 47n) + (va0 % GiB) : BigInt(m.paPage) * 4096n;
            e.map(va0, pa0, size, PK, flags);
            for (const p of [0, ...m.probes, 1]) {
              const off = BigInt(Math.floor(p * Number(size - 1n))) & ~7n;
              checks.push([va0 + off, pa0 + off]);
            }
          });
          for (const [va, pa] of checks) expect(e.walk(va).pa).toBe(pa);
          const r = e.walkMany(BigUint64Array.from(checks.map(([va]) => va)));
          expect(Array.from(r.pa)).toEqual(checks.map(([, pa]) => pa));
        }),
        { numRuns: 40 },
      );
    });
  });

  describe("setMemory", () => {
    it("classic: changes non-CONT pages; refuses blocks, CONT PTEs and holes", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 64n * KiB, PK, NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
      // set_memory_ro on 2 pages: clear WRITE (bit 51), set RDONLY (bit 7): ...0703 -> 0x0060...0783
      const r = e.setMemory(VA0 + 4096n, 8192n, SET_MEMORY.ro.set, SET_MEMORY.ro.clear);
      expect(r).toEqual({ framesAllocated: 0, framesFreed: 0, descriptorsWritten: 2 });
      expect(e.walk(VA0).descriptor).toBe(0x0068_0000_4000_0703n);
      expect(e.walk(VA0 + 4096n).descriptor).toBe(0x0060_0000_4000_1783n);
      expect(e.walk(VA0 + 8192n).descriptor).toBe(0x0060_0000_4000_2783n);
      // an invalidated page is changed like a valid one (set_memory_valid(…, 1) brings it back)
      e.setMemory(VA0, 4096n, 0n, PTE_VALID);
      e.setMemory(VA0, 4096n, PTE_VALID, 0n);
      expect(e.walk(VA0).descriptor).toBe(0x0068_0000_4000_0703n);

      // a 1G block: BlockMappingError at hardware level 1
      const b = create();
      b.map(VA0, 0x4000_0000n, GiB, PK);
      const before = snapshot(b);
      const err = thrown(() => b.setMemory(VA0 + 8192n, 4096n, RDONLY, WRITE, "classic"));
      expect(err).toBeInstanceOf(BlockMappingError);
      expect(err).toMatchObject({ code: "block", va: VA0 + 8192n, level: 1, descriptor: 0x4000_0000n | PK_BLOCK });
      expect(snapshot(b)).toEqual(before);

      // CONT PTEs (64K aligned, NO_BLOCK only): BlockMappingError at level 3
      const c = create();
      c.map(VA0, 0x4000_0000n, 64n * KiB, PK, NO_BLOCK_MAPPINGS);
      const err2 = thrown(() => c.setMemory(VA0, 4096n, RDONLY, WRITE));
      expect(err2).toMatchObject({ code: "block", va: VA0, level: 3, descriptor: 0x4000_0000n | PK | CONT });

      // a hole after mapped pages: NotMappedError at the empty PTE, nothing changed before it stays
      const before2 = snapshot(e);
      const err3 = thrown(() => e.setMemory(VA0, 128n * KiB, RDONLY, WRITE));
      expect(err3).toBeInstanceOf(NotMappedError);
      expect(err3).toMatchObject({ va: VA0 + 64n * KiB, level: 3 });
      expect(snapshot(e)).toEqual(before2);
      // nothing mapped at all: the PGD entry is empty (level 0)
      expect(thrown(() => create().setMemory(VA0, 4096n, RDONLY, WRITE))).toMatchObject({ code: "not-mapped", level: 0 });
    });

    it("split: a 4 MiB range inside a 1G block", () => {
      // 1G block at VA0 -> PA 0x40000000 (frames: 0 PGD, 1 PUD table).
      // Range [VA0 + 0x201000, VA0 + 0x601000): set_memory_ro.
      // split at start (0x201000): not 1G aligned, PUD[0] is a block -> split_pud: PMD table = frame 2,
      //   512 CONT PMD blocks (512 writes) + PUD[0] table descriptor (1 write; PXNTable since the block
      //   has PXN). Not 32M aligned, PMD[1] CONT -> split_contpmd: PMD[0..15] lose CONT (16 writes).
      //   Not 2M aligned -> split_pmd(PMD[1]): PTE table = frame 3, 512 CONT pages + PMD[1] (513 writes).
      //   Not 64K aligned, PTE[1] CONT -> split_contpte: PTE[0..15] lose CONT (16 writes).
      // split at end (0x601000): PUD[0] table; PMD[3] a block without CONT (its group was split);
      //   not 2M aligned -> split_pmd(PMD[3]): frame 4, 513 writes; PTE[1] of it CONT -> 16 writes.
      // change in place: frame 3 PTE[1..511] (511), PMD[2] block (1), frame 4 PTE[0] (1) = 513.
      // Total writes 513 + 16 + 513 + 16 + 513 + 16 + 513 = 2100; frames 1 PMD + 2 PTE tables.
      const e = create();
      e.map(VA0, 0x4000_0000n, GiB, PK);
      const r = e.setMemory(VA0 + 0x20_1000n, 4n * MiB, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "split");
      expect(r).toEqual({ framesAllocated: 3, framesFreed: 0, descriptorsWritten: 2100 });
      expect(e.stats().levels.map((l) => l.allocated)).toEqual([2, 1, 1, 1]);

      // page prot from the block: (0x...0701 & ~3) | 3 = 0x...0703, plus CONT; RO: 0x0060...0783
      const tbl = (f: number) => (BigInt(f) << 12n) | 3n | UXN_TABLE | PXN_TABLE;
      const at = (off: bigint) => e.walk(VA0 + off);
      expect(at(0x20_1000n).path).toEqual([table4k(1), tbl(2), tbl(3), 0x0060_0000_4020_1783n]);
      expect(at(0x20_0000n)).toMatchObject({ level: 3, descriptor: 0x0068_0000_4020_0703n }); // before the range
      expect(at(0x21_0000n)).toMatchObject({ level: 3, descriptor: 0x0070_0000_4021_0783n }); // CONT kept, changed
      expect(at(0x40_0000n)).toMatchObject({ level: 2, descriptor: 0x0060_0000_4040_0781n }); // PMD[2] changed
      expect(at(0x60_0000n).path[2]).toBe(tbl(4));
      expect(at(0x60_0000n)).toMatchObject({ level: 3, descriptor: 0x0060_0000_4060_0783n }); // last page in range
      expect(at(0x60_1000n)).toMatchObject({ level: 3, descriptor: 0x0068_0000_4060_1703n }); // after the range
      expect(at(0x61_0000n)).toMatchObject({ level: 3, descriptor: 0x0078_0000_4061_0703n }); // CONT group intact
      expect(at(0x1e0_0000n)).toMatchObject({ level: 2, descriptor: 0x0068_0000_41e0_0701n }); // PMD[15]: no CONT
      expect(at(0x200_0000n)).toMatchObject({ level: 2, descriptor: 0x0078_0000_4200_0701n }); // PMD[16]: CONT
      // the translation itself never changes
      expect(at(0x3456_789an).pa).toBe(0x7456_789an);
    });

    it("split: one page, empty entries refused", () => {
      // [VA0 + 2M + 4K, +4K) in a 1G block: split_pud (513) + split_contpmd (16) + split_pmd (513) +
      // split_contpte (16) at the start; nothing left at the end; 1 page changed: 1059 writes.
      const e = create();
      e.map(VA0, 0x4000_0000n, GiB, PK);
      const r = e.setMemory(VA0 + 0x20_1000n, 4096n, SET_MEMORY.nx.set, SET_MEMORY.nx.clear, "split");
      expect(r).toEqual({ framesAllocated: 2, framesFreed: 0, descriptorsWritten: 1059 });
      // an empty entry in range: NotMappedError (PUD[1] at VA0 + 1G), and the splits are undone
      const before = snapshot(e);
      const err = thrown(() => e.setMemory(VA0 + GiB - 4096n, 8192n, RDONLY, WRITE, "split"));
      expect(err).toMatchObject({ code: "not-mapped", va: VA0 + GiB, level: 1 });
      expect(snapshot(e)).toEqual(before);
    });
  });

  describe("unmap", () => {
    it("frees the tables it empties, LIFO for the next allocation", () => {
      const e = create();
      // 4M of pages: PUD (1), PMD (2), PTE tables (3, 4)
      e.map(VA0, 0x4000_0000n, 4n * MiB, PK, NO_BLOCK_MAPPINGS);
      const r = e.unmap(VA0, 4n * MiB);
      // 1024 PTEs cleared + PMD[0], PMD[1] + PUD[0] + PGD[0] cleared = 1028; all 4 tables freed
      expect(r).toEqual({ framesAllocated: 0, framesFreed: 4, descriptorsWritten: 1028 });
      const s = e.stats();
      expect(s.levels.map((l) => l.freed)).toEqual([2, 1, 1, 0]);
      expect(s.liveFrames).toBe(1);
      expect(e.ranges()).toEqual([{ start: VA0, end: 1n << 64n, level: 0, descriptor: 0n }]);
      // freed in post-order 3, 4, 2, 1 -> the free list pops 1, 2, 4
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      expect(e.walk(VA0).path.slice(0, 3)).toEqual([table4k(1), table4k(2), table4k(4)]);
    });

    it("refuses a block or CONT group only partly in range; keeps tables still in use", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 2n * MiB, PK);
      const err = thrown(() => e.unmap(VA0, 4096n));
      expect(err).toMatchObject({ code: "block", va: VA0, level: 2, descriptor: 0x4000_0000n | PK_BLOCK });
      const c = create();
      c.map(VA0, 0x4000_0000n, 128n * KiB, PK, NO_BLOCK_MAPPINGS);
      expect(thrown(() => c.unmap(VA0 + 64n * KiB, 4096n))).toMatchObject({ code: "block", va: VA0 + 64n * KiB, level: 3 });
      // a whole CONT group is fine; the PTE table still holds the other group and stays
      expect(c.unmap(VA0 + 64n * KiB, 64n * KiB)).toEqual({ framesAllocated: 0, framesFreed: 0, descriptorsWritten: 16 });
      expect(c.walk(VA0 + 64n * KiB)).toMatchObject({ fault: "translation", level: 3 });
      expect(c.walk(VA0)).toMatchObject({ pa: 0x4000_0000n });
    });
  });

  describe("ranges", () => {
    it("coalesces like ptdump, empty entries at their level", () => {
      const e = create();
      e.map(VA0 + 32n * KiB, 0x8000_8000n, 2n * MiB + 64n * KiB, PK, NO_BLOCK_MAPPINGS);
      const P = (pa: bigint) => pa | PK;
      // see the CONT test: non-CONT, CONT (both PTE tables), non-CONT, then the holes upwards
      expect(e.ranges()).toEqual([
        { start: VA0, end: VA0 + 32n * KiB, level: 3, descriptor: 0n },
        { start: VA0 + 32n * KiB, end: VA0 + 64n * KiB, level: 3, descriptor: P(0x8000_8000n) },
        { start: VA0 + 64n * KiB, end: VA0 + 2n * MiB + 64n * KiB, level: 3, descriptor: P(0x8001_0000n) | CONT },
        { start: VA0 + 2n * MiB + 64n * KiB, end: VA0 + 2n * MiB + 96n * KiB, level: 3, descriptor: P(0x8021_0000n) },
        { start: VA0 + 2n * MiB + 96n * KiB, end: VA0 + 4n * MiB, level: 3, descriptor: 0n },
        { start: VA0 + 4n * MiB, end: VA0 + GiB, level: 2, descriptor: 0n },
        { start: VA0 + GiB, end: VA0 + 512n * GiB, level: 1, descriptor: 0n },
        { start: VA0 + 512n * GiB, end: 1n << 64n, level: 0, descriptor: 0n },
      ]);
    });

    it("exact follows the OA; start and end clip", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 8192n, PK, NO_CONT_MAPPINGS);
      e.map(VA0 + 8192n, 0x5000_0000n, 8192n, PK, NO_CONT_MAPPINGS);
      const q = { start: VA0 + 4096n, end: VA0 + 12288n };
      expect(e.ranges(q)).toEqual([{ start: VA0 + 4096n, end: VA0 + 12288n, level: 3, descriptor: 0x4000_1000n | PK }]);
      expect(e.ranges({ ...q, exact: true })).toEqual([
        { start: VA0 + 4096n, end: VA0 + 8192n, level: 3, descriptor: 0x4000_1000n | PK },
        { start: VA0 + 8192n, end: VA0 + 12288n, level: 3, descriptor: 0x5000_0000n | PK },
      ]);
      // a mask that ignores everything merges the hole after the pages too
      expect(e.ranges({ start: VA0, end: VA0 + 2n * MiB, mask: 0n })).toEqual([{ start: VA0, end: VA0 + 2n * MiB, level: 3, descriptor: 0x4000_0000n | PK }]);
    });
  });

  describe("arguments", () => {
    it("names the bad argument", () => {
      const e = create();
      const page = 4096n;
      expect(badArgument(() => e.map(VA0 + 1n, 0n, page, PK))).toBe("va");
      expect(badArgument(() => e.map(VA0, 0x800n, page, PK))).toBe("pa");
      expect(badArgument(() => e.map(VA0, 0n, 0n, PK))).toBe("size");
      expect(badArgument(() => e.map(VA0, 0n, 100n, PK))).toBe("size");
      expect(badArgument(() => e.map(VA0 - page, 0n, page, PK))).toBe("va"); // below TTBR1
      expect(badArgument(() => e.map(VA0, 1n << 48n, page, PK))).toBe("pa"); // beyond 2^48
      expect(badArgument(() => e.map(VA0, (1n << 48n) - page, 2n * page, PK))).toBe("pa"); // pa + size
      expect(badArgument(() => e.map(VA0, 0n, page, PK | CONT))).toBe("prot");
      expect(badArgument(() => e.map(VA0, 0n, page, PK & ~2n))).toBe("prot"); // not a page template
      expect(badArgument(() => e.map(VA0, 0n, page, PK | 0x1000n))).toBe("prot"); // OA bits
      expect(badArgument(() => e.map(VA0, 0n, page, PK, 8))).toBe("flags");
      expect(badArgument(() => e.map(VA0, 0n, page, PK, 1.5))).toBe("flags");
      expect(badArgument(() => e.unmap(VA0, 0n))).toBe("size");
      expect(badArgument(() => e.setMemory(VA0, page, 0x1000n, 0n))).toBe("set");
      expect(badArgument(() => e.setMemory(VA0, page, 0n, CONT))).toBe("clear");
      expect(badArgument(() => e.setMemory(VA0, page, 0n, 2n))).toBe("clear");
      expect(badArgument(() => e.setMemory(VA0, page, 0n, 0n, "fast" as never))).toBe("mode");
      expect(badArgument(() => e.walk(-1n))).toBe("va");
      expect(badArgument(() => e.ranges({ start: 0n }))).toBe("start");
      expect(badArgument(() => e.ranges({ start: VA0, end: VA0 }))).toBe("end");
      // nothing was written by any of them
      expect(e.stats().descriptorsWritten).toBe(0);
    });
  });

  describe("lifecycle", () => {
    it("reset() is the warm rebuild: back to the new state", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 4n * MiB, PK, NO_BLOCK_MAPPINGS);
      const fresh = create().stats();
      e.reset();
      expect(e.stats()).toEqual(fresh);
      expect(e.walk(VA0)).toMatchObject({ fault: "translation", level: 0 });
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      expect(e.walk(VA0).path.slice(0, 3)).toEqual([table4k(1), table4k(2), table4k(3)]);
    });

    it("after dispose() every method throws EngineUnusableError", () => {
      const e = create();
      e.map(VA0, 0x4000_0000n, 4096n, PK);
      e.dispose();
      const calls: Array<() => unknown> = [
        () => e.map(VA0, 0n, 4096n, PK),
        () => e.unmap(VA0, 4096n),
        () => e.walk(VA0),
        () => e.walkMany(new BigUint64Array(1)),
        () => e.setMemory(VA0, 4096n, 0n, 0n),
        () => e.ranges(),
        () => e.stats(),
        () => e.reset(),
      ];
      for (const call of calls) expect(thrown(call)).toBeInstanceOf(EngineUnusableError);
    });
  });
});
