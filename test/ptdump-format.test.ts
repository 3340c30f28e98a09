/**
 * formatLinearMap, flavours and their tables, with expectations worked out by hand from the kernel
 * sources (5.10.223, 6.1.192, 6.12.117 and the 6.15 BLK change).
 */
import { describe, expect, it } from "vitest";
import { NO_CONT_MAPPINGS, SET_MEMORY, attrIndx, geometry, pageKernel, type Granule } from "../src/index.js";
import {
  PTDUMP_FLAVOURS,
  flavourForRelease,
  formatLinearMap,
  levelNames,
  linearMapBounds,
  protStrings,
  ptdumpMask,
  ptdumpSizeText,
} from "../src/ptdump/index.js";
import { ENGINES } from "./engines.js";

const M = 1n << 20n;
const G = 1n << 30n;

describe("flavourForRelease", () => {
  it.each([
    ["5.10.223", "5.10"],
    ["5.15.0", "5.10"],
    ["6.1.192", "6.1"],
    ["6.11", "6.1"],
    ["6.12.117-1~deb12u1", "6.12"],
    ["6.14.2", "6.12"],
    ["v6.15-rc1", "6.15"],
    ["6.18", "6.15"],
    ["7.0", "6.15"],
  ])("%s is %s", (release, flavour) => {
    expect(flavourForRelease(release)).toBe(flavour);
  });

  it.each(["5.4.0", "4.19", "linux", "6", ""])("refuses %j", (release) => {
    expect(() => flavourForRelease(release)).toThrow(RangeError);
  });
});

describe("pte_bits tables", () => {
  it("ORs to 0x0074000000000FDF in every flavour", () => {
    for (const f of PTDUMP_FLAVOURS) expect(ptdumpMask(f)).toBe(0x0074_0000_0000_0fdfn);
  });

  it("numbers memory types as 5.10 did (WT at 3 prints nothing, GRE has a row)", () => {
    const mt = (f: "5.10" | "6.1", i: bigint) => protStrings(f, attrIndx(i) | 3n).slice(11);
    expect([0n, 1n, 2n, 3n, 4n, 5n, 6n].map((i) => mt("5.10", i))).toEqual([
      ["MEM/NORMAL"], ["MEM/NORMAL-TAGGED"], ["MEM/NORMAL-NC"], [], ["DEVICE/nGnRnE"], ["DEVICE/nGnRE"], ["DEVICE/GRE"],
    ]);
    expect([0n, 1n, 2n, 3n, 4n, 5n, 6n].map((i) => mt("6.1", i))).toEqual([
      ["MEM/NORMAL"], ["MEM/NORMAL-TAGGED"], ["MEM/NORMAL-NC"], ["DEVICE/nGnRnE"], ["DEVICE/nGnRE"], [], [],
    ]);
  });

  it("prints BLK for an invalid block up to 6.12, not since 6.15", () => {
    const invalidBlock = pageKernel() & ~3n; // bits [1:0] = 0b00
    expect(protStrings("6.12", invalidBlock & ptdumpMask("6.12"))[8]).toBe("BLK");
    expect(protStrings("6.15", invalidBlock & ptdumpMask("6.15"))[8]).toBe("   ");
    const block = (pageKernel() & ~2n) & ptdumpMask("6.15");
    expect(protStrings("6.1", block)[8]).toBe("BLK");
    expect(protStrings("6.15", block)[8]).toBe("BLK");
  });
});

describe("level names", () => {
  it("fold with CONFIG_PGTABLE_LEVELS up to 6.1, never since 6.12", () => {
    expect(levelNames("6.1", 4)).toEqual(["PGD", "P4D", "PUD", "PMD", "PTE"]);
    expect(levelNames("6.1", 3)).toEqual(["PGD", "P4D", "PGD", "PMD", "PTE"]);
    expect(levelNames("5.10", 2)).toEqual(["PGD", "P4D", "PGD", "PGD", "PTE"]);
    expect(levelNames("6.12", 2)).toEqual(["PGD", "P4D", "PUD", "PMD", "PTE"]);
  });
});

describe("sizes and bounds", () => {
  it("prints sizes as note_page does", () => {
    expect(ptdumpSizeText(0n, 0x1740000n)).toBe("23808K");
    expect(ptdumpSizeText(0xffff_0080_0000_0000n, 0xffff_8000_0000_0000n)).toBe("130560G");
    expect(ptdumpSizeText(0n, 0xffff_0000_0000_0000n)).toBe("16776960T");
    expect(ptdumpSizeText(0xffff_ffff_ffe0_0000n, 1n << 64n)).toBe("2M");
  });

  it("ends the linear map at -(1 << (VA_BITS_MIN - 1))", () => {
    const b = (gr: Granule, va: number, f: "5.10" | "6.1" | "6.12") => linearMapBounds(geometry(gr, va), f);
    expect(b(4, 48, "6.1")).toEqual({ start: 0xffff_0000_0000_0000n, end: 0xffff_8000_0000_0000n });
    expect(b(4, 39, "6.12")).toEqual({ start: 0xffff_ff80_0000_0000n, end: 0xffff_ffc0_0000_0000n });
    expect(b(4, 52, "5.10").end).toBe(0xfff8_0000_0000_0000n); // vabits_actual
    expect(b(4, 52, "6.1").end).toBe(0xffff_8000_0000_0000n); // VA_BITS_MIN = 48
    expect(b(16, 52, "6.12").end).toBe(0xffff_c000_0000_0000n); // VA_BITS_MIN = 47 with 16K
    expect(b(16, 52, "6.1").end).toBe(0xffff_8000_0000_0000n);
  });
});

describe.each(ENGINES)("formatLinearMap, $name engine", ({ create }) => {
  it("prints an empty 4K/48 table as one PGD hole", () => {
    const pt = create({ granule: 4, vaBits: 48 });
    expect(formatLinearMap(pt, "6.1")).toBe(
      "---[ Linear Mapping start ]---\n" +
        "0xffff000000000000-0xffff800000000000         128T PGD\n" +
        "---[ Linear Mapping end ]---\n",
    );
    expect(formatLinearMap(pt, "5.10")).toBe(
      // 5.10: the hole at level 0 with prot 0 continues the initial state (start 0): one line from 0.
      "0x0000000000000000-0xffff800000000000    16777088T PGD\n---[ Linear Mapping end ]---\n",
    );
  });

  it("names a top-level PUD block of a 3-level table PGD in 6.1 and 6.12 alike", () => {
    const pt = create({ granule: 4, vaBits: 39 });
    pt.map(0xffff_ff80_0000_0000n, G, G, pageKernel(), 0);
    const want =
      "---[ Linear Mapping start ]---\n" +
      "0xffffff8000000000-0xffffff8040000000           1G PGD       RW NX SHD AF        BLK UXN    MEM/NORMAL\n" +
      "0xffffff8040000000-0xffffffc000000000         255G PGD\n" +
      "---[ Linear Mapping end ]---\n";
    expect(formatLinearMap(pt, "6.1")).toBe(want); // pud leaf: level 2, named "PGD" (3 levels)
    expect(formatLinearMap(pt, "6.12")).toBe(want); // level 2 renamed 0 (PUD folded): "PGD"
  });

  it("names a top-level block of a 2-level table PGD in 6.1, PMD in 6.12", () => {
    const pt = create({ granule: 64, vaBits: 42 });
    pt.map(0xffff_fc00_0000_0000n, G, 512n * M, pageKernel({ tagged: true }), 0);
    const tail =
      "0xfffffc0020000000-0xfffffe0000000000     2096640M PGD\n" + "---[ Linear Mapping end ]---\n";
    const line = (name: string) =>
      `0xfffffc0000000000-0xfffffc0020000000         512M ${name}       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED\n`;
    expect(formatLinearMap(pt, "6.1")).toBe(`---[ Linear Mapping start ]---\n${line("PGD")}${tail}`);
    expect(formatLinearMap(pt, "6.12")).toBe(`---[ Linear Mapping start ]---\n${line("PMD")}${tail}`);
  });

  it("shows an invalid nG block as 6.12 and 6.15 do, and hides it as 6.1 does", () => {
    const pt = create({ granule: 4, vaBits: 48 });
    const base = 0xffff_0000_0000_0000n;
    pt.map(base, G, 4n * M, pageKernel({ nG: true }), NO_CONT_MAPPINGS);
    pt.setMemory(base + 2n * M, 2n * M, SET_MEMORY.invalid.set, SET_MEMORY.invalid.clear, "split");
    const holes =
      "0xffff000000400000-0xffff000040000000        1020M PMD\n" +
      "0xffff000040000000-0xffff008000000000         511G PUD\n" +
      "0xffff008000000000-0xffff800000000000      130560G PGD\n" +
      "---[ Linear Mapping end ]---\n";
    const start = "---[ Linear Mapping start ]---\n";
    // 6.1: pmd_present() is false (no VALID, PROT_NONE or PRESENT_INVALID bit): never noted, the
    // first block's line runs over it.
    expect(formatLinearMap(pt, "6.1")).toBe(
      `${start}0xffff000000000000-0xffff000000400000           4M PMD       RW NX SHD AF NG     BLK UXN    MEM/NORMAL\n${holes}`,
    );
    // 6.12: nG without VALID is PTE_PRESENT_INVALID, so present: a line with F (and BLK, bit 1 clear).
    const first = "0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF NG     BLK UXN    MEM/NORMAL\n";
    expect(formatLinearMap(pt, "6.12")).toBe(
      `${start}${first}0xffff000000200000-0xffff000000400000           2M PMD F     RW NX SHD AF NG     BLK UXN    MEM/NORMAL\n${holes}`,
    );
    // 6.15: BLK needs type 0b01; an invalid block is 0b00.
    expect(formatLinearMap(pt, "6.15")).toBe(
      `${start}${first}0xffff000000200000-0xffff000000400000           2M PMD F     RW NX SHD AF NG         UXN    MEM/NORMAL\n${holes}`,
    );
  });

  it("keeps zero PTEs and PMD holes on separate lines", () => {
    const pt = create({ granule: 4, vaBits: 48 });
    const base = 0xffff_0000_0000_0000n;
    pt.map(base, G, 64n << 10n, pageKernel({ tagged: true, nG: true }), 0); // one CONT group of 16 pages
    expect(formatLinearMap(pt, "6.1").split("\n").slice(1, 4)).toEqual([
      "0xffff000000000000-0xffff000000010000          64K PTE       RW NX SHD AF NG CON     UXN    MEM/NORMAL-TAGGED",
      "0xffff000000010000-0xffff000000200000        1984K PTE",
      "0xffff000000200000-0xffff000040000000        1022M PMD",
    ]);
  });

  it("accepts other marker addresses", () => {
    const pt = create({ granule: 4, vaBits: 48 });
    const start = 0xffff_0000_0000_0000n;
    expect(formatLinearMap(pt, "6.12", { bounds: { start, end: start + 2n * G } })).toBe(
      "---[ Linear Mapping start ]---\n" +
        "0xffff000000000000-0xffff008000000000         512G PGD\n" + // the walk only notes at entry starts
        "---[ Linear Mapping end ]---\n",
    );
  });
});
