/** parsePtdump: the fixture, errors, and the round trip engine → text → parse → text. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NO_BLOCK_MAPPINGS,
  PTE_NG,
  PTE_USER,
  PTE_PXN,
  PgtableError,
  SET_MEMORY,
  attrIndx,
  pageKernel,
  pageKernelRO,
  entrySize,
  type PageTableEngine,
} from "../src/index.js";
import {
  PTDUMP_FLAVOURS,
  PtdumpParseError,
  findSection,
  formatLinearMap,
  linearMapBounds,
  parsePtdump,
  renderPtdump,
  type PtdumpRange,
} from "../src/ptdump/index.js";
import { ReferencePageTable } from "../src/reference/index.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const FIXTURE_PATH = new URL("./fixtures/ptdump/guest-1g-rodata-full-kpti.txt", import.meta.url);
const FIXTURE = readFileSync(FIXTURE_PATH, "utf8");

describe("parsePtdump on the fixture", () => {
  const dump = parsePtdump(FIXTURE, "guest-1g-rodata-full-kpti.txt");

  it("keeps every line and groups the two sections", () => {
    expect(dump.lines).toHaveLength(13);
    expect(dump.sections.map((s) => [s.name, s.open?.line, s.close?.line, s.ranges.length])).toEqual([
      ["Linear Mapping", 1, 10, 8],
      ["Modules", 11, 13, 1],
    ]);
  });

  it("names the section a 5.10 dump opens without a start marker after its end marker", () => {
    // The first lines of a 5.10.223 kernel_page_tables (test/fixtures/qemu/5.10), cut after BPF.
    const text = [
      "0x0000000000000000-0xffff000000000000    16776960T PGD",
      "0xffff000000000000-0xffff000000200000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL-TAGGED",
      "---[ Linear Mapping end ]---",
      "---[ BPF start ]---",
      "0xffff800000000000-0xffff800000001000           4K PTE       ro x  SHD AF            UXN    MEM/NORMAL",
      "---[ BPF end ]---",
    ].join("\n");
    const d = parsePtdump(text, "5.10");
    expect(d.sections.map((s) => [s.name, s.open?.line, s.close?.line, s.ranges.length])).toEqual([
      ["Linear Mapping", undefined, 3, 2],
      ["BPF", 4, 6, 1],
    ]);
  });

  it("splits a range line into its fields", () => {
    const lm = findSection(dump, "Linear Mapping")!;
    expect(lm.ranges[1]).toEqual({
      kind: "range",
      line: 3,
      start: 0xffff_0000_0020_0000n,
      end: 0xffff_0000_0220_0000n,
      size: 32n << 20n,
      sizeText: "32M",
      level: "PMD",
      attributes: ["ro", "NX", "SHD", "AF", "NG", "BLK", "UXN"],
      memType: "MEM/NORMAL",
    });
    expect(lm.ranges[7]).toMatchObject({ level: "PGD", sizeText: "130560G", attributes: [], memType: undefined });
  });

  it("renders back to the same bytes", () => {
    expect(renderPtdump(dump.lines)).toBe(FIXTURE);
  });
});

describe("parsePtdump errors", () => {
  const ok = "0xffff000000000000-0xffff000000200000           2M PTE       RW NX SHD AF NG         UXN    MEM/NORMAL-TAGGED";
  const bad = (text: string) => {
    try {
      parsePtdump(text, "dump.txt");
    } catch (e) {
      expect(e).toBeInstanceOf(PtdumpParseError);
      expect(e).toBeInstanceOf(PgtableError);
      const p = e as PtdumpParseError;
      expect(p.message).toBe(`${p.source}:${p.line}: ${p.reason}`);
      expect(p.message).not.toContain("\n");
      return p;
    }
    throw new Error("parsed");
  };

  it.each([
    ["a line that is neither", `---[ X ]---\nhello\n`, 2, "not a marker or range line"],
    ["a blank line", `${ok}\n\n`, 2, "blank line"],
    ["short hex", ok.replace("0xffff000000000000-", "0xffff00000000000-"), 1, `start "0xffff00000000000" is not 16 lowercase hex digits`],
    ["non-hex", ok.replace("-0xffff000000200000", "-0xffff00000020000g"), 1, `end "0xffff00000020000g" is not 16 lowercase hex digits`],
    ["end below start", ok.replace("-0xffff000000200000", "-0xfffe000000200000"), 1, "end 0xfffe000000200000 is not above start 0xffff000000000000"],
    ["a wrong size", ok.replace("   2M", "   4M"), 1, "size 4M does not match end - start = 0x0000000000200000 (2M)"],
    ["a size that is no size", ok.replace("   2M", "   2X"), 1, `size "2X" is not digits and one of K M G T P E`],
    ["a misaligned size", ok.replace("           2M", "          2M"), 1, `size "2M" is not right-aligned in 9 digits and a unit`],
    [
      "a gap",
      `${ok}\n0xffff000000400000-0xffff000000600000           2M PTE\n`,
      2,
      "starts at 0xffff000000400000, but line 1 ended at 0xffff000000200000",
    ],
  ])("reports %s with file and line", (_what, text, line, reason) => {
    const e = bad(text);
    expect([e.source, e.line, e.reason]).toEqual(["dump.txt", line, reason]);
  });

  it("checks contiguity only within a section, and reads an end of 0 as 2^64", () => {
    const text =
      `${ok}\n---[ Fixmap start ]---\n` +
      "0xfffffffffe000000-0x0000000000000000          32M PMD\n";
    const d = parsePtdump(text);
    expect((d.lines[2] as PtdumpRange).end).toBe(1n << 64n);
    expect(renderPtdump(d.lines)).toBe(text);
  });
});

// ---- round trip: random engine states → format → parse → render, every flavour -------------------

const GEOMETRIES = [
  { granule: 4, vaBits: 48 },
  { granule: 4, vaBits: 39 },
  { granule: 16, vaBits: 47 },
  { granule: 16, vaBits: 36 },
  { granule: 64, vaBits: 42 },
  { granule: 64, vaBits: 48 },
  { granule: 4, vaBits: 52 },
] as const;

/** One map: offsets in units that make blocks and CONT groups likely. */
const mapOp = fc.record({
  offUnits: fc.nat({ max: 40 }),
  sizeUnits: fc.integer({ min: 1, max: 24 }),
  unit: fc.constantFrom(0, 4, -1, -2), // a page, 16 pages, a PMD entry, a PUD entry (4K) or PMD
  tagged: fc.boolean(),
  nG: fc.boolean(),
  ro: fc.boolean(),
  exec: fc.boolean(),
  user: fc.boolean(),
  mt: fc.nat({ max: 7 }),
  flags: fc.nat({ max: 7 }),
});
/** One setMemory: a part of one of the maps (by index), so that it mostly meets mapped entries. */
const changeOp = fc.record({
  map: fc.nat(),
  from: fc.nat({ max: 999 }),
  length: fc.nat({ max: 999 }),
  masks: fc.constantFrom(
    SET_MEMORY.ro,
    SET_MEMORY.rw,
    SET_MEMORY.nx,
    SET_MEMORY.x,
    SET_MEMORY.invalid,
    SET_MEMORY.valid,
    { set: 1n << 58n, clear: 1n }, // PROT_NONE-like: present in 6.1, not in 6.12
    { set: 1n << 59n, clear: 1n }, // PMD_PRESENT_INVALID-like
    { set: 0n, clear: PTE_NG },
  ),
  mode: fc.constantFrom("classic", "split") as fc.Arbitrary<"classic" | "split">,
});

type MapOp = typeof mapOp extends fc.Arbitrary<infer T> ? T : never;
type ChangeOp = typeof changeOp extends fc.Arbitrary<infer T> ? T : never;

function apply(pt: PageTableEngine, maps: MapOp[], changes: ChangeOp[]): void {
  const g = pt.geometry;
  const base = linearMapBounds(g, "6.1").start;
  const unitBytes = (u: number): bigint => {
    if (u >= 0) return g.pageSize << BigInt(u);
    return entrySize(g, u === -2 && g.granule === 4 && g.levels > 2 ? 2 : 1);
  };
  for (const m of maps) {
    const u = unitBytes(m.unit);
    let prot = pageKernel({ tagged: m.tagged, nG: m.nG, shared: !g.lpa2 });
    if (m.ro) prot = pageKernelRO({ tagged: m.tagged, nG: m.nG, shared: !g.lpa2 });
    if (m.exec) prot &= ~PTE_PXN;
    if (m.user) prot |= PTE_USER;
    if (m.mt > 1) prot = (prot & ~(7n << 2n)) | attrIndx(BigInt(m.mt));
    const off = BigInt(m.offUnits) * u;
    let size = BigInt(m.sizeUnits) * u;
    // Page by page, keep it to 2^16 pages: the reference engine is not fast.
    if ((m.flags & NO_BLOCK_MAPPINGS) !== 0 && size > g.pageSize << 16n) size = g.pageSize << 16n;
    try {
      pt.map(base + off, 0x4000_0000n + off, size, prot, m.flags);
    } catch (e) {
      if (!(e instanceof PgtableError)) throw e; // refused as the kernel would BUG: skip
    }
  }
  for (const c of changes) {
    const m = maps[c.map % Math.max(1, maps.length)];
    if (!m) return;
    const pages = (BigInt(m.sizeUnits) * unitBytes(m.unit)) / g.pageSize; // may run past a capped map
    const first = (pages * BigInt(c.from)) / 1000n;
    const count = 1n + ((pages - first - 1n) * BigInt(c.length)) / 1000n;
    const va = base + BigInt(m.offUnits) * unitBytes(m.unit) + first * g.pageSize;
    try {
      pt.setMemory(va, count * g.pageSize, c.masks.set, c.masks.clear, c.mode);
    } catch (e) {
      if (!(e instanceof PgtableError)) throw e;
    }
  }
}

describe("round trip", () => {
  it("formats, parses and renders back every flavour identically; wasm and reference agree", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GEOMETRIES),
        fc.array(mapOp, { maxLength: 6 }),
        fc.array(changeOp, { maxLength: 4 }),
        (geo, maps, changes) => {
          const wasm = new WasmPageTable(geo);
          const ref = new ReferencePageTable(geo);
          apply(wasm, maps, changes);
          apply(ref, maps, changes);
          for (const flavour of PTDUMP_FLAVOURS) {
            const text = formatLinearMap(wasm, flavour);
            expect(formatLinearMap(ref, flavour)).toBe(text);
            const dump = parsePtdump(text, `${flavour}.txt`);
            expect(renderPtdump(dump.lines)).toBe(text);
            // The section starts at PAGE_OFFSET (at 0 in 5.10) and its lines cover it without gaps.
            const ranges = dump.lines.filter((l): l is PtdumpRange => l.kind === "range");
            const bounds = linearMapBounds(wasm.geometry, flavour);
            expect(ranges[0].start).toBe(flavour === "5.10" ? 0n : bounds.start);
            expect(ranges[ranges.length - 1].end >= bounds.end).toBe(true);
          }
          wasm.dispose();
          ref.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });
});
