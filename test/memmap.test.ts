/**
 * Memory-map inputs: the parsers (/proc/iomem, boot log, device-tree source, JSON, shorthand), the
 * memblock model and the linear-map arithmetic. Expected numbers are derived by hand in comments from
 * the fixture text and 6.1 kernel source (mm/memblock.c, arch/arm64/mm/init.c,
 * arch/arm64/include/asm/kernel-pgtable.h, drivers/of/fdt.c), never read back from the code.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import {
  EMPTY_MEMBLOCK,
  MemoryMapError,
  type MemoryMap,
  type ParseMemoryMapOptions,
  arm64MemblockInit,
  arm64MemstartAlign,
  detectFormat,
  forEachMemRange,
  linearRegionSize,
  memblockAdd,
  memblockClearNomap,
  memblockEndOfDRAM,
  memblockFromMap,
  memblockMarkNomap,
  memblockNomapSize,
  memblockPhysMemSize,
  memblockRemove,
  memblockReserve,
  memblockStartOfDRAM,
  memstartAddr,
  pageOffset,
  parseMemoryMap,
  physToVirt,
  renderBootlog,
  renderIomem,
  renderShorthand,
  virtToPhys,
} from "../src/memmap/index.js";

const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;
const TiB = 1024n * GiB;

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/memmaps/${name}`, import.meta.url), "utf8");
}

function parseFixture(name: string, paBits?: number): MemoryMap {
  return parseMemoryMap(fixture(name), { source: name, paBits });
}

/** The MemoryMapError that parsing `text` throws. */
function parseError(text: string, options: ParseMemoryMapOptions): MemoryMapError {
  try {
    parseMemoryMap(text, options);
  } catch (e) {
    if (e instanceof MemoryMapError) return e;
    throw e;
  }
  throw new Error("parsed without error");
}

function message(text: string, options: ParseMemoryMapOptions): string {
  return parseError(text, options).message;
}

const pairs = (list: readonly { base: bigint; size: bigint }[]) => list.map((r) => [r.base, r.size]);

describe("real fixtures", () => {
  it("rpi4-4g.iomem: two System RAM ranges, no NOMAP, the kernel image and seven reserved ranges", () => {
    const map = parseFixture("rpi4-4g.iomem");
    expect(map.format).toBe("iomem");
    expect(map.source).toBe("rpi4-4g.iomem");
    // Top level: 00000000-3b3fffff and 40000000-fbffffff, both "System RAM". No top-level
    // "reserved" line, hence no NOMAP memory (the Pi boots from a device tree, without UEFI).
    expect(pairs(map.memory)).toEqual([
      [0n, 0x3b40_0000n], // 0x3b3fffff + 1 = 948 MiB
      [0x4000_0000n, 0xbc00_0000n], // 0xfbffffff + 1 - 0x40000000 = 0xbc000000 = 3008 MiB
    ]);
    expect(map.nomap).toEqual([]);
    // Kernel code 00210000-0136ffff, Kernel data 01830000-01b6ffff.
    expect(map.kernel).toEqual({ base: 0x21_0000n, size: 0x137_0000n - 0x21_0000n });
    expect(map.kernelData).toEqual({ base: 0x183_0000n, size: 0x1b7_0000n - 0x183_0000n });
    expect(map.crashkernel).toBeUndefined();
    // Nested "reserved": 6 under the first bank, 1 under the second: memblock.reserved at the end
    // of boot, kept apart from the reservations made before the linear map (none known).
    expect(map.reserved).toEqual([]);
    expect(pairs(map.lateReserved ?? [])).toEqual([
      [0n, 0x1000n],
      [0x137_0000n, 0x183_0000n - 0x137_0000n], // the init sections between code and data
      [0xdc0_0000n, 0x2dc0_0000n - 0xdc0_0000n], // 512 MiB (the CMA pool)
      [0x2dff_f000n, 0x2e00_e000n - 0x2dff_f000n],
      [0x2e00_e000n, 0x2f00_0000n - 0x2e00_e000n],
      [0x3740_0000n, 0x3b40_0000n - 0x3740_0000n],
      [0xf700_0000n, 0xfb60_0000n - 0xf700_0000n],
    ]);
    expect(map.notes).toEqual([]);

    const mb = memblockFromMap(map);
    expect(mb.memory).toEqual([
      { base: 0n, size: 0x3b40_0000n, nomap: false },
      { base: 0x4000_0000n, size: 0xbc00_0000n, nomap: false },
    ]);
    // Total: 948 MiB + 3008 MiB = 3956 MiB = 0xf7400000.
    expect(memblockPhysMemSize(mb)).toBe(3956n * MiB);
    expect(memblockPhysMemSize(mb)).toBe(0xf740_0000n);
    expect(memblockStartOfDRAM(mb)).toBe(0n);
    expect(memblockEndOfDRAM(mb)).toBe(0xfc00_0000n);
    expect(forEachMemRange(mb)).toEqual([
      { base: 0n, size: 0x3b40_0000n },
      { base: 0x4000_0000n, size: 0xbc00_0000n },
    ]);
    // memblock.reserved before the linear map: the kernel image [_stext, _end) = [0x210000,
    // 0x1b70000) only (the nested "reserved" are end-of-boot state, not replayed).
    expect(pairs(mb.reserved)).toEqual([[0x21_0000n, 0x1b7_0000n - 0x21_0000n]]);
    // memstart_addr = round_down(0, 1 GiB) = 0, so PA 0x40000000 is at PAGE_OFFSET + 1 GiB.
    expect(memstartAddr(mb)).toBe(0n);
    expect(physToVirt(0x4000_0000n, 0n)).toBe(0xffff_0000_4000_0000n);
    // The iomem text is what Linux would print for this map, line for line.
    expect(renderIomem(map)).toBe(fixture("rpi4-4g.iomem"));
  });

  it("altra-1s-32g.bootlog: 44 ranges on node 0, four contiguous runs, 32513 MiB", () => {
    const map = parseFixture("altra-1s-32g.bootlog");
    expect(map.format).toBe("bootlog");
    expect(map.memory).toHaveLength(44); // 44 "node 0:" lines (the source list says 43)
    expect(map.memory.every((b) => b.nid === 0)).toBe(true);
    expect(map.memory[0]).toEqual({ base: 0x8830_0000n, size: 0x10_0000n, nid: 0 });
    expect(map.memory[43]).toEqual({ base: 0x801_0000_0000n, size: 0x808_0000_0000n - 0x801_0000_0000n, nid: 0 });
    // Contiguous runs, each line's end + 1 being the next line's start:
    //   0x88300000-0x883fffff              1 line     1 MiB
    //   0x90000000-0xffffffff              41 lines   0x100000000 - 0x90000000 = 0x70000000 = 1792 MiB
    //   0x80000000000-0x8007fffffff        1 line     2 GiB
    //   0x80100000000-0x807ffffffff        1 line     0x700000000 = 28 GiB
    // Total 1 + 1792 + 2048 + 28672 = 32513 MiB. The log does not say which lines are NOMAP, so the
    // memblock merges each run into one region (same node, same flags).
    const mb = memblockFromMap(map);
    expect(pairs(mb.memory)).toEqual([
      [0x8830_0000n, MiB],
      [0x9000_0000n, 1792n * MiB],
      [0x800_0000_0000n, 2n * GiB],
      [0x801_0000_0000n, 28n * GiB],
    ]);
    expect(memblockPhysMemSize(mb)).toBe(32513n * MiB);
    // 41 lines in the second run, each but its first touching the one before: 40.
    expect(map.notes).toEqual([
      "40 range lines touch the line before them on the same node: Linux keeps such regions apart only when their flags differ (usually one is NOMAP, which the log does not show); all are taken as mapped",
    ]);
    expect(memblockStartOfDRAM(mb)).toBe(0x8830_0000n);
    expect(memblockEndOfDRAM(mb)).toBe(0x808_0000_0000n);
    // memstart_addr = round_down(0x88300000, 1 GiB) = 0x80000000: PAGE_OFFSET maps a PA below the RAM.
    expect(memstartAddr(mb)).toBe(0x8000_0000n);
    // The 8 TiB bank: VA = 0xffff000000000000 + 0x80000000000 - 0x80000000 = 0xffff07ff80000000.
    expect(physToVirt(0x800_0000_0000n, 0x8000_0000n)).toBe(0xffff_07ff_8000_0000n);
  });

  it("kunpeng920-d06.bootlog: 37 ranges on four nodes, 131067.8125 MiB", () => {
    const map = parseFixture("kunpeng920-d06.bootlog");
    expect(map.memory).toHaveLength(37);
    expect(map.memory.map((b) => b.nid).join("")).toBe(`${"0".repeat(34)}123`);
    // Runs: 0x0-0x3fbfffff (30 lines, 1020 MiB); 0x40000000-0x43ffffff (64 MiB);
    // 0x44030000-0x7fffffff (2 lines, 0x80000000 - 0x44030000 = 0x3bfd0000 = 959.8125 MiB);
    // 0x2080000000-0x27ffffffff node 0 (30 GiB) touching 0x2800000000-0x2fffffffff node 1 (32 GiB);
    // 0x202000000000-0x2027ffffffff node 2 (32 GiB) touching 0x202800000000-0x202fffffffff node 3.
    // Regions of different nodes do not merge: 7 memblock regions.
    const mb = memblockFromMap(map);
    expect(mb.memory.map((r) => [r.base, r.size, r.nid])).toEqual([
      [0n, 1020n * MiB, 0],
      [0x4000_0000n, 64n * MiB, 0],
      [0x4403_0000n, 0x3bfd_0000n, 0],
      [0x20_8000_0000n, 30n * GiB, 0],
      [0x28_0000_0000n, 32n * GiB, 1],
      [0x2020_0000_0000n, 32n * GiB, 2],
      [0x2028_0000_0000n, 32n * GiB, 3],
    ]);
    // Total: 1020 + 64 + 959.8125 MiB + (30 + 32 + 32 + 32) GiB = 2043.8125 MiB + 126 GiB
    //      = 0x7fbd0000 + 0x1f80000000 = 0x1fffbd0000.
    expect(memblockPhysMemSize(mb)).toBe(0x1f_ffbd_0000n);
    // Touching lines on one node: 29 in the first run, 1 in the third; the node 0/1 and 2/3 seams
    // change node. 30 in all.
    expect(map.notes[0]).toMatch(/^30 range lines touch/);
    expect(memblockStartOfDRAM(mb)).toBe(0n);
    expect(memblockEndOfDRAM(mb)).toBe(0x2030_0000_0000n);
    // 48-bit VA: the linear region is 2^47 = 128 TiB, the RAM ends at about 32.2 TiB: nothing removed.
    const init48 = arm64MemblockInit(mb);
    expect(init48.removed).toEqual([]);
    expect(init48.memstartAddr).toBe(0n);
    expect(init48.warnings).toEqual([]);
    // 39-bit VA: the linear region is 2^38 = 256 GiB from memstart 0; nodes 2 and 3 (at 32 TiB) go.
    const init39 = arm64MemblockInit(mb, { vaBits: 39 });
    expect(pairs(init39.removed)).toEqual([
      [0x2020_0000_0000n, 32n * GiB],
      [0x2028_0000_0000n, 32n * GiB],
    ]);
    expect(init39.warnings).toEqual(["Memory doesn't fit in the linear mapping, VA_BITS too small"]);
    expect(memblockEndOfDRAM(init39.memblock)).toBe(0x30_0000_0000n);
  });

  it("reads the kernel's own form of the boot log, ignoring the other lines", () => {
    const log = [
      "[    0.000000] Zone ranges:",
      "[    0.000000]   DMA      [mem 0x0000000040000000-0x00000000ffffffff]",
      "[    0.000000]   DMA32    empty",
      "[    0.000000]   Normal   [mem 0x0000000100000000-0x000000023fffffff]",
      "[    0.000000] Movable zone start for each node",
      "[    0.000000] Early memory node ranges",
      "[    0.000000]   node   0: [mem 0x0000000040000000-0x00000000bfffffff]",
      "[    0.000000]   node   0: [mem 0x00000000c0000000-0x00000000c00fffff]",
      "[    0.000000]   node   0: [mem 0x00000000c0100000-0x000000023fffffff]",
      "[    0.000000] Initmem setup node 0 [mem 0x0000000040000000-0x000000023fffffff]",
      "[    0.000000] On node 0, zone DMA: 1 pages in unavailable ranges",
    ].join("\n");
    const map = parseMemoryMap(log, { source: "virt.log" });
    expect(map.format).toBe("bootlog");
    // Three contiguous regions: 2 GiB, 1 MiB, 0x240000000 - 0xc0100000 = 0x17ff00000.
    expect(map.memory).toEqual([
      { base: 0x4000_0000n, size: 2n * GiB, nid: 0 },
      { base: 0xc000_0000n, size: MiB, nid: 0 },
      { base: 0xc010_0000n, size: 0x1_7ff0_0000n, nid: 0 },
    ]);
  });
});

describe("device-tree source", () => {
  it("qemu-virt-8g.dts: 8 GiB at 1 GiB, a no-map child, a reserved child, a /memreserve/", () => {
    const map = parseFixture("qemu-virt-8g.dts");
    expect(map.format).toBe("dts");
    // reg = <0x00 0x40000000 0x02 0x00> with 2 + 2 cells: base 0x40000000, size 0x2_0000_0000 = 8 GiB.
    expect(map.memory).toEqual([{ base: 0x4000_0000n, size: 8n * GiB }]);
    expect(map.nomap).toEqual([{ base: 0x4200_0000n, size: 16n * MiB }]);
    expect(map.reserved).toEqual([
      { base: 0x4000_0000n, size: 0x1000n }, // /memreserve/
      { base: 0x4800_0000n, size: MiB }, // ramoops
    ]);
    expect(map.notes).toEqual(["line 33: reserved-memory/linux,cma is allocated at boot (size without reg) and is not modelled"]);
    // memblock_mark_nomap splits the bank in three: [1G, 1G+32M) mapped, 16 MiB NOMAP, the rest mapped.
    const mb = memblockFromMap(map);
    expect(mb.memory).toEqual([
      { base: 0x4000_0000n, size: 32n * MiB, nomap: false },
      { base: 0x4200_0000n, size: 16n * MiB, nomap: true },
      { base: 0x4300_0000n, size: 8n * GiB - 48n * MiB, nomap: false },
    ]);
    expect(forEachMemRange(mb)).toEqual([
      { base: 0x4000_0000n, size: 32n * MiB },
      { base: 0x4300_0000n, size: 8n * GiB - 48n * MiB },
    ]);
    expect(memblockPhysMemSize(mb)).toBe(8n * GiB); // NOMAP memory still counts
    expect(memblockNomapSize(mb)).toBe(16n * MiB);
    expect(memstartAddr(mb)).toBe(0x4000_0000n);
  });

  it("cells1.dts: #address-cells = <1>, two memory nodes, two tuples in one reg", () => {
    const map = parseFixture("cells1.dts");
    expect(map.memory).toEqual([
      { base: 0x8000_0000n, size: GiB },
      { base: 0xc000_0000n, size: 512n * MiB },
      { base: 0xe000_0000n, size: 256n * MiB },
    ]);
    expect(map.nomap).toEqual([{ base: 0x8000_0000n, size: 2n * MiB }]);
    // The three banks touch (0x80000000 + 1G = 0xc0000000, + 512M = 0xe0000000): one region of
    // 1792 MiB, then the no-map child splits off its first 2 MiB.
    const mb = memblockFromMap(map);
    expect(mb.memory).toEqual([
      { base: 0x8000_0000n, size: 2n * MiB, nomap: true },
      { base: 0x8020_0000n, size: 1790n * MiB, nomap: false },
    ]);
    // memblock_start_of_DRAM() is the NOMAP region's base: memstart_addr = 0x80000000.
    expect(memstartAddr(mb)).toBe(0x8000_0000n);
  });

  it("takes Linux's defaults of 1 address cell and 1 size cell when the root omits them", () => {
    const dts = '/dts-v1/;\n/ {\n\tmemory@40000000 { device_type = "memory"; reg = <0x40000000 0x20000000>; };\n};\n';
    const map = parseMemoryMap(dts, { source: "nocells.dts" });
    expect(map.memory).toEqual([{ base: 0x4000_0000n, size: 512n * MiB }]);
    expect(map.notes).toEqual(["the root has no #address-cells: Linux 6.1 takes 1", "the root has no #size-cells: Linux 6.1 takes 1"]);
  });

  it("reads memory@ nodes without device_type (with a note), skips disabled ones, prefers linux,usable-memory", () => {
    const dts = [
      "/dts-v1/;",
      "/ {",
      "\t#address-cells = <2>; #size-cells = <2>;",
      "\tmemory@40000000 { reg = <0 0x40000000 0 0x40000000>; };",
      '\tmemory@80000000 { device_type = "memory"; status = "disabled"; reg = <0 0x80000000 0 0x40000000>; };',
      '\tmemory@100000000 { device_type = "memory"; reg = <1 0 1 0>; linux,usable-memory = <1 0 0 0x10000000>; };',
      '\tcpus { device_type = "cpu"; };',
      "};",
    ].join("\n");
    const map = parseMemoryMap(dts, { source: "x.dts" });
    expect(map.memory).toEqual([
      { base: 0x4000_0000n, size: GiB },
      { base: 0x1_0000_0000n, size: 256n * MiB },
    ]);
    expect(map.notes).toEqual([
      'line 4: memory@40000000 has no device_type = "memory"; Linux 6.1 would skip it, it is read as memory',
      'line 5: memory@80000000 is not "okay" and was skipped',
    ]);
  });

  it("merges repeated root nodes as dtc does, and drops reservations outside memory with a note", () => {
    const dts = [
      "/dts-v1/;",
      "/ { #address-cells = <1>; #size-cells = <1>; };",
      '/ { memory@0 { device_type = "memory"; reg = <0x0 0x10000000>; }; };',
      "/ { reserved-memory { #address-cells = <1>; #size-cells = <1>; ranges;",
      "      fw@20000000 { reg = <0x20000000 0x100000>; no-map; }; }; };",
    ].join("\n");
    const map = parseMemoryMap(dts, { source: "merge.dts" });
    expect(map.memory).toEqual([{ base: 0n, size: 256n * MiB }]);
    expect(map.nomap).toEqual([]);
    expect(map.notes).toEqual(["line 5: no-map fw@20000000 0x20000000-0x200fffff lies outside memory and was dropped"]);
  });
});

describe("JSON and shorthand", () => {
  it("reads the documented JSON form with hex and suffixed sizes", () => {
    const json = `{
      "memory": [{ "base": "0x40000000", "size": "8G" }, { "base": "0x880000000", "size": "0x80000000", "node": 1 }],
      "nomap": [{ "base": "0x40000000", "size": "2M" }],
      "reserved": [{ "base": "0x48000000", "size": 1048576 }],
      "kernel": { "base": "0x40210000", "size": "0x1a00000" },
      "crashkernel": { "base": "0x60000000", "size": "256M" }
    }`;
    const map = parseMemoryMap(json, { source: "m.json" });
    expect(map.format).toBe("json");
    expect(map.memory).toEqual([
      { base: 0x4000_0000n, size: 8n * GiB },
      { base: 0x8_8000_0000n, size: 2n * GiB, nid: 1 },
    ]);
    expect(map.nomap).toEqual([{ base: 0x4000_0000n, size: 2n * MiB }]);
    expect(map.reserved).toEqual([{ base: 0x4800_0000n, size: MiB }]);
    expect(map.kernel).toEqual({ base: 0x4021_0000n, size: 0x1a0_0000n });
    expect(map.crashkernel).toEqual({ base: 0x6000_0000n, size: 256n * MiB });
    // memblock.reserved: ramoops-like 1M, the kernel [0x40210000, 0x41c10000), the crashkernel.
    expect(pairs(memblockFromMap(map).reserved)).toEqual([
      [0x4021_0000n, 0x1a0_0000n],
      [0x4800_0000n, MiB],
      [0x6000_0000n, 256n * MiB],
    ]);
  });

  it("reads one bank or several, in any order", () => {
    expect(parseMemoryMap("12G@0x40000000").memory).toEqual([{ base: 0x4000_0000n, size: 12n * GiB }]);
    const map = parseMemoryMap(" 30G@0x880000000 , 2G@0x80000000\n");
    expect(map.source).toBe("<shorthand>");
    expect(map.memory).toEqual([
      { base: 0x8000_0000n, size: 2n * GiB },
      { base: 0x8_8000_0000n, size: 30n * GiB },
    ]);
    expect(renderShorthand(map)).toBe("2G@0x80000000,30G@0x880000000");
  });

  it("detects every format, and an explicit format wins", () => {
    expect(detectFormat(fixture("rpi4-4g.iomem"))).toBe("iomem");
    expect(detectFormat(fixture("altra-1s-32g.bootlog"))).toBe("bootlog");
    expect(detectFormat(fixture("qemu-virt-8g.dts"))).toBe("dts");
    expect(detectFormat(fixture("cells1.dts"))).toBe("dts");
    expect(detectFormat('{"memory":[]}')).toBe("json");
    expect(detectFormat("2G@0x80000000,30G@0x880000000")).toBe("shorthand");
    expect(detectFormat("hello\nworld")).toBeUndefined();
    // CRLF line ends read the same.
    const crlf = parseMemoryMap(fixture("rpi4-4g.iomem").replace(/\n/g, "\r\n"), { source: "rpi4-4g.iomem" });
    expect(crlf).toEqual(parseFixture("rpi4-4g.iomem"));
    expect(parseMemoryMap(fixture("qemu-virt-8g.dts").replace(/\n/g, "\r\n")).memory).toEqual([{ base: 0x4000_0000n, size: 8n * GiB }]);
    // "node 0: …" alone reads as a boot log; told it is iomem, it is garbage there.
    expect(message("node 0: 0x40000000-0x7fffffff\n", { source: "a.txt", format: "iomem" })).toBe(
      'a.txt:1: not a /proc/iomem line: "node 0: 0x40000000-0x7fffffff"',
    );
  });
});

describe("errors: one line naming the source, the line and the reason", () => {
  it("carries source, line and reason as fields", () => {
    const e = parseError("00000000-3fffffff : System RAM\n3c000000-3b3fffff : System RAM\n", { source: "rpi.iomem" });
    expect(e).toBeInstanceOf(MemoryMapError);
    expect(e).toBeInstanceOf(Error);
    expect([e.source, e.line, e.reason]).toEqual(["rpi.iomem", 2, "end 0x3b3fffff is before start 0x3c000000"]);
    expect(e.message).toBe("rpi.iomem:2: end 0x3b3fffff is before start 0x3c000000");
    expect(e.code).toBe("memory-map");
  });

  // [kind, text, expected message]; the source is "rpi.iomem" (format detected).
  const IOMEM: [string, string, string][] = [
    ["garbage line", "00000000-3fffffff : System RAM\nhello\n", 'rpi.iomem:2: not a /proc/iomem line: "hello"'],
    ["missing space before the colon", "00000000-3fffffff: System RAM\n", 'rpi.iomem:1: not a /proc/iomem line: "00000000-3fffffff: System RAM"'],
    ["bad hex", "00000000-3b3fzfff : System RAM\n", 'rpi.iomem:1: bad hex number "3b3fzfff"'],
    ["0x prefix", "0x0-0x3fffffff : System RAM\n", 'rpi.iomem:1: bad hex number "0x0"'],
    ["end before start", "\n\n3c000000-3b3fffff : System RAM\n", "rpi.iomem:3: end 0x3b3fffff is before start 0x3c000000"],
    ["overlapping top-level ranges", "00000000-3fffffff : System RAM\n20000000-4fffffff : System RAM\n", "rpi.iomem:2: 0x20000000-0x4fffffff overlaps 0x0-0x3fffffff at line 1"],
    [
      "unsorted top-level ranges",
      "40000000-7fffffff : System RAM\n00000000-3fffffff : System RAM\n",
      "rpi.iomem:2: 0x0-0x3fffffff starts below 0x40000000-0x7fffffff at line 1: ranges must be sorted",
    ],
    [
      "unsorted nested ranges",
      "00000000-3fffffff : System RAM\n  00200000-002fffff : reserved\n  00100000-001fffff : reserved\n",
      "rpi.iomem:3: 0x100000-0x1fffff starts below 0x200000-0x2fffff at line 2: ranges must be sorted",
    ],
    ["odd indentation", "00000000-3fffffff : System RAM\n   00000000-00000fff : reserved\n", "rpi.iomem:2: indentation of 3 spaces is not a multiple of 2"],
    ["indentation jump", "00000000-3fffffff : System RAM\n    00000000-00000fff : reserved\n", "rpi.iomem:2: indented to level 2 below a line at level 0"],
    [
      "child outside its parent",
      "00000000-3fffffff : System RAM\n  3ff00000-400fffff : reserved\n",
      "rpi.iomem:2: 0x3ff00000-0x400fffff is not inside its parent 0x0-0x3fffffff at line 1",
    ],
    [
      "two Kernel code ranges",
      "00000000-3fffffff : System RAM\n  00200000-002fffff : Kernel code\n  00400000-004fffff : Kernel code\n",
      'rpi.iomem:3: a second "Kernel code" range (the first is at line 2)',
    ],
    [
      "beyond the 48-bit PA limit", // 0x1000000000000 = 2^48 is the first address out
      "00000000-3fffffff : System RAM\nffffc0000000-1000003ffffff : System RAM\n",
      "rpi.iomem:2: 0xffffc0000000-0x1000003ffffff ends above the 48-bit physical address limit 0x1000000000000",
    ],
    [
      "addresses hidden from non-root readers",
      "00000000-00000000 : System RAM\n  00000000-00000000 : Kernel code\n",
      "rpi.iomem:1: all-zero range 00000000-00000000: /proc/iomem hides addresses from readers without CAP_SYS_ADMIN; read it as root",
    ],
    ["no System RAM", "fe000000-fe0fffff : soc\n", 'rpi.iomem: no "System RAM" ranges'],
  ];
  it.each(IOMEM)("iomem: %s", (_kind, text, expected) => {
    expect(message(text, { source: "rpi.iomem" })).toBe(expected);
  });

  it("iomem: the paBits option moves the limit (2^52, 2^32)", () => {
    expect(parseMemoryMap("ffffc0000000-1000003ffffff : System RAM\n", { paBits: 52 }).memory).toHaveLength(1);
    expect(message("fffffc0000000-10000003ffffff : System RAM\n", { source: "rpi.iomem", paBits: 52 })).toBe(
      "rpi.iomem:1: 0xfffffc0000000-0x10000003ffffff ends above the 52-bit physical address limit 0x10000000000000",
    );
    expect(message("00000000-ffffffff : System RAM\n100000000-13fffffff : System RAM\n", { source: "rpi.iomem", paBits: 32 })).toBe(
      "rpi.iomem:2: 0x100000000-0x13fffffff ends above the 32-bit physical address limit 0x100000000",
    );
  });

  const BOOT: [string, string, string][] = [
    ["garbage after node N:", "node 0: 0x40000000 0x7fffffff\n", 'd06.log:1: not a memory node range: "0x40000000 0x7fffffff"'],
    ["bad hex", "node 0: 0x4000000g-0x7fffffff\n", 'd06.log:1: bad hex number "0x4000000g"'],
    ["hex without 0x", "node 0: [mem 40000000-0x7fffffff]\n", 'd06.log:1: bad hex number "40000000"'],
    ["end before start", "node 0: 0x80000000-0x7fffffff\n", "d06.log:1: end 0x7fffffff is before start 0x80000000"],
    ["overlap", "node 0: 0x40000000-0x7fffffff\nnode 0: 0x70000000-0x8fffffff\n", "d06.log:2: 0x70000000-0x8fffffff overlaps 0x40000000-0x7fffffff at line 1"],
    [
      "unsorted",
      "node 0: 0x80000000-0x8fffffff\nsome other line\nnode 1: 0x40000000-0x4fffffff\n",
      "d06.log:3: 0x40000000-0x4fffffff starts below 0x80000000-0x8fffffff at line 1: ranges must be sorted",
    ],
    ["beyond the PA limit", "node 0: 0x40000000-0x1000000000000\n", "d06.log:1: 0x40000000-0x1000000000000 ends above the 48-bit physical address limit 0x1000000000000"],
    ["no range lines", "Early memory node ranges\nnothing here\n", 'd06.log: no "node N: 0xSTART-0xEND" memory range lines'],
    [
      "two boots",
      "Early memory node ranges\nnode 0: 0x0-0xfff\nEarly memory node ranges\n",
      'd06.log:3: a second "Early memory node ranges" header (the first is at line 1): one boot per input',
    ],
  ];
  it.each(BOOT)("boot log: %s", (_kind, text, expected) => {
    expect(message(text, { source: "d06.log" })).toBe(expected);
  });

  // Each text is prefixed by "/dts-v1/;\n", so it starts on line 2.
  const DTS_SYNTAX: [string, string, string][] = [
    ["/include/", '/include/ "soc.dtsi"\n', "b.dts:2: /include/ is not supported: pass the preprocessed source (dtc -E or cpp) as one file"],
    ["#include", '#include "soc.dtsi"\n', "b.dts:2: #include and other preprocessor lines are not supported: pass the preprocessed source"],
    ["/delete-node/", "/ {\n  /delete-node/ &foo;\n};\n", "b.dts:3: /delete-node/ is not supported"],
    ["cell expression", "/ {\n  memory@0 { reg = <(1 + 1)>; };\n};\n", "b.dts:3: cell expressions (...) are not supported: write the value"],
    ["cell above 32 bits", "/ {\n  memory@0 { reg = <0x100000000>; };\n};\n", "b.dts:3: cell 0x100000000 does not fit in 32 bits"],
    ["missing semicolon", "/ {\n  memory@0 {\n    reg = <0 0x1000>\n  };\n};\n", 'b.dts:5: expected ";" after the value of reg, found "}"'],
    ["unclosed node", "/ {\n  memory@0 { reg = <0 0x1000>; };\n", "b.dts:4: node / (line 2) is not closed"],
    ["unterminated comment", "/* comment\n", "b.dts:2: unterminated comment"],
    ["&label override", '&uart0 { status = "okay"; };\n', "b.dts:2: &label { ... } node references are not supported: edit the node itself"],
    ["no root node", "/memreserve/ 0x0 0x1000;\n", 'b.dts: no root node "/ { ... };"'],
  ];
  it.each(DTS_SYNTAX)("device-tree source: %s", (_kind, text, expected) => {
    expect(message(`/dts-v1/;\n${text}`, { source: "b.dts" })).toBe(expected);
  });

  // Each body sits in a root with 2 + 2 cells whose first body line is line 5.
  const head = "/dts-v1/;\n/ {\n  #address-cells = <2>;\n  #size-cells = <2>;\n";
  const mem = '  memory@40000000 { device_type = "memory"; reg = <0 0x40000000 2 0>; };\n';
  const rsv = (child: string) => `${mem}  reserved-memory {\n    #address-cells = <2>; #size-cells = <2>; ranges;\n${child}  };\n`;
  const check = "Linux 6.1 ignores the whole node (__reserved_mem_check_root)";
  const DTS: [string, string, string][] = [
    ["reg not a multiple of the cells", '  memory@40000000 { device_type = "memory"; reg = <0 0x40000000 2>; };\n', "c.dts:5: reg has 3 cells, not a multiple of #address-cells + #size-cells = 2 + 2"],
    ["zero-size reg", '  memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0>; };\n', "c.dts:5: zero-size range at 0x40000000"],
    ["reg not cells", '  memory@40000000 { device_type = "memory"; reg = "x"; };\n', "c.dts:5: reg must be <cells>"],
    ["beyond the PA limit", '  memory@0 { device_type = "memory"; reg = <0 0 0x10000 1>; };\n', "c.dts:5: 0x0-0x1000000000000 ends above the 48-bit physical address limit 0x1000000000000"],
    [
      "/reserved-memory cells differ from the root's",
      `${mem}  reserved-memory { #address-cells = <1>; #size-cells = <2>; ranges; };\n`,
      `c.dts:6: /reserved-memory #address-cells = <1> differs from the root's <2>: ${check}`,
    ],
    ["/reserved-memory without ranges", `${mem}  reserved-memory {\n    #address-cells = <2>;\n    #size-cells = <2>;\n  };\n`, `c.dts:6: /reserved-memory has no "ranges" property: ${check}`],
    ["/reserved-memory without cells", `${mem}  reserved-memory { ranges; };\n`, `c.dts:6: /reserved-memory has no #address-cells: ${check}`],
    ["no-map partly outside memory", rsv("    a@3ff00000 { reg = <0 0x3ff00000 0 0x200000>; no-map; };\n"), "c.dts:8: no-map a@3ff00000 0x3ff00000-0x400fffff is only partly inside memory"],
    [
      "reserved overlapping no-map",
      rsv("    a@40000000 { reg = <0 0x40000000 0 0x200000>; no-map; };\n    b@40100000 { reg = <0 0x40100000 0 0x1000>; };\n"),
      "c.dts:9: reserved b@40100000 0x40100000-0x40100fff overlaps no-map a@40000000 0x40000000-0x401fffff at line 8",
    ],
    ["overlapping memory nodes", `${mem}  memory@80000000 { device_type = "memory"; reg = <0 0x80000000 0 0x1000>; };\n`, "c.dts:6: memory@80000000 0x80000000-0x80000fff overlaps memory@40000000 0x40000000-0x23fffffff at line 5"],
    ["no memory node", "", 'c.dts: no memory node (device_type = "memory" with reg)'],
  ];
  it.each(DTS)("device-tree source: %s", (_kind, body, expected) => {
    expect(message(`${head}${body}};\n`, { source: "c.dts" })).toBe(expected);
  });

  it("device-tree source: 2^48 itself is within the 48-bit limit", () => {
    const map = parseMemoryMap(`${head}  memory@0 { device_type = "memory"; reg = <0 0 0x10000 0>; };\n};\n`);
    expect(map.memory).toEqual([{ base: 0n, size: 1n << 48n }]);
  });

  const JSON_CASES: [string, string, string][] = [
    ["syntax (trailing comma)", '{\n  "memory": [\n    { "base": "0x0", "size": "1G" },\n  ]\n}', 'm.json:4: JSON: unexpected "]"'],
    ["duplicate key", '{\n  "memory": [],\n  "memory": []\n}', 'm.json:3: JSON: duplicate key "memory"'],
    ["unknown key", '{\n  "memory": [{ "base": "0x0", "size": "1G" }],\n  "memroy": []\n}', 'm.json:3: memroy: unknown key "memroy"'],
    ["missing value", '{\n  "memory": [\n    { "base": "0x0" }\n  ]\n}', "m.json:3: memory[0].size: missing"],
    ["bad size", '{\n  "memory": [\n    { "base": "0x0",\n      "size": "1Q" }\n  ]\n}', 'm.json:4: memory[0].size: "1Q" is not a size (examples: 0x40000000, 1073741824, 8G, 512M)'],
    ["wrong type", '{ "memory": [{ "base": true, "size": "1G" }] }', 'm.json:1: memory[0].base: must be a string such as "0x40000000" or "8G", or an integer'],
    ["unsafe number", '{ "memory": [{ "base": 0, "size": 1e300 }] }', "m.json:1: memory[0].size: 1e+300 is not a size (an integer from 0 to 2^53 - 1; write larger values as strings)"],
    ["no banks", '{ "memory": [] }', "m.json:1: memory: needs at least one bank"],
    ["zero size", '{ "memory": [{ "base": "1G", "size": "0" }] }', "m.json:1: zero-size range at 0x40000000"],
    ["beyond the PA limit", '{ "memory": [{ "base": "1G", "size": "256T" }] }', "m.json:1: 0x40000000-0x100003fffffff ends above the 48-bit physical address limit 0x1000000000000"],
    ["nomap outside memory", '{\n "memory": [{ "base": "1G", "size": "1G" }],\n "nomap": [{ "base": "4G", "size": "2M" }]\n}', "m.json:3: nomap 0x100000000-0x1001fffff is outside memory"],
    ["kernel partly outside memory", '{\n "memory": [{ "base": "1G", "size": "1G" }],\n "kernel": { "base": "0x7ff00000", "size": "2M" }\n}', "m.json:3: kernel 0x7ff00000-0x800fffff is only partly inside memory"],
    [
      "overlapping banks",
      '{\n "memory": [{ "base": "1G", "size": "1G" },\n  { "base": "1536M", "size": "1G" }]\n}',
      "m.json:3: memory 0x60000000-0x9fffffff overlaps memory 0x40000000-0x7fffffff at line 2",
    ],
    [
      "crashkernel overlapping the kernel",
      '{\n "memory": [{ "base": "1G", "size": "1G" }],\n "kernel": { "base": "0x40200000", "size": "32M" },\n "crashkernel": { "base": "0x41000000", "size": "256M" }\n}',
      "m.json:4: crashkernel 0x41000000-0x50ffffff overlaps kernel 0x40200000-0x421fffff at line 3",
    ],
  ];
  it.each(JSON_CASES)("JSON: %s", (_kind, text, expected) => {
    expect(message(text, { source: "m.json" })).toBe(expected);
  });

  const SHORTHAND: [string, string, string][] = [
    ["not SIZE@BASE", "12G@0x40000000,12G", '<shorthand>:1: bank 2 "12G" is not SIZE@BASE (example: 12G@0x40000000)'],
    ["empty bank", "2G@0x40000000,", '<shorthand>:1: bank 2 "" is not SIZE@BASE (example: 12G@0x40000000)'],
    ["bad size", "12Q@0x40000000", '<shorthand>:1: bank 1: "12Q" is not a size (examples: 12G, 512M, 0x40000000)'],
    ["bad hex address", "12G@0x4000000z", '<shorthand>:1: bank 1: "0x4000000z" is not an address (examples: 0x40000000, 1G)'],
    ["zero size", "0@0x40000000", "<shorthand>:1: zero-size range at 0x40000000"],
    ["overlap", "2G@0x40000000,1G@0x80000000", "<shorthand>:1: bank 2 0x80000000-0xbfffffff overlaps bank 1 0x40000000-0xbfffffff at line 1"],
    ["beyond the PA limit", "256T@0x40000000", "<shorthand>:1: 0x40000000-0x100003fffffff ends above the 48-bit physical address limit 0x1000000000000"],
  ];
  it.each(SHORTHAND)("shorthand: %s", (_kind, text, expected) => {
    expect(message(text, {})).toBe(expected);
  });

  it("shorthand: one line only, named by the given source", () => {
    expect(message("1G@0x0\n2G@0x80000000\n", { source: "sweep", format: "shorthand" })).toBe("sweep:2: the shorthand is one line: separate banks with commas");
  });

  it("unknown formats and bad options", () => {
    expect(message("hello\n", { source: "x" })).toBe(
      "x: cannot tell the format: expected /proc/iomem, a boot log, device-tree source, JSON or SIZE@BASE shorthand",
    );
    expect(() => parseMemoryMap("1G@0", { paBits: 64 })).toThrow(InvalidArgumentError);
    expect(() => parseMemoryMap("1G@0", { paBits: 64 })).toThrow("paBits: 64 is not an integer from 32 to 52");
  });
});

describe("memblock", () => {
  it("memblock_add inserts only what is new and merges what touches", () => {
    let mb = memblockAdd(EMPTY_MEMBLOCK, 0x4000_0000n, GiB);
    mb = memblockAdd(mb, 0x6000_0000n, GiB); // overlaps by 512 MiB: only [0x80000000, 0xa0000000) is new
    expect(mb.memory).toEqual([{ base: 0x4000_0000n, size: 1536n * MiB, nomap: false }]);
    mb = memblockAdd(mb, 0xa000_0000n, GiB, 1); // touches, but node 1: a separate region
    expect(mb.memory.map((r) => r.nid)).toEqual([undefined, 1]);
  });

  it("mark_nomap splits, clear_nomap merges back, remove cuts", () => {
    const base = memblockAdd(EMPTY_MEMBLOCK, 0x4000_0000n, 4n * GiB);
    const marked = memblockMarkNomap(base, 0x8000_0000n, 2n * MiB);
    expect(marked.memory).toEqual([
      { base: 0x4000_0000n, size: GiB, nomap: false },
      { base: 0x8000_0000n, size: 2n * MiB, nomap: true },
      { base: 0x8020_0000n, size: 3n * GiB - 2n * MiB, nomap: false },
    ]);
    expect(forEachMemRange(marked)).toHaveLength(2);
    expect(memblockClearNomap(marked, 0x8000_0000n, 2n * MiB)).toEqual(base);
    expect(base.memory).toHaveLength(1); // pure: the argument is unchanged
    const cut = memblockRemove(marked, 0x7000_0000n, 512n * MiB);
    expect(pairs(cut.memory)).toEqual([
      [0x4000_0000n, 768n * MiB],
      [0x9000_0000n, 0x1_4000_0000n - 0x9000_0000n],
    ]);
  });

  it("reserve merges; the empty memblock starts and ends at 0", () => {
    const mb = memblockReserve(memblockReserve(EMPTY_MEMBLOCK, 0x1000n, 0x1000n), 0x2000n, 0x1000n);
    expect(mb.reserved).toEqual([{ base: 0x1000n, size: 0x2000n }]);
    expect([memblockStartOfDRAM(EMPTY_MEMBLOCK), memblockEndOfDRAM(EMPTY_MEMBLOCK), memblockPhysMemSize(EMPTY_MEMBLOCK)]).toEqual([0n, 0n, 0n]);
  });

  it("keeps regions sorted, disjoint and merged under any sequence of operations", () => {
    const op = fc.record({
      kind: fc.constantFrom("add", "remove", "mark", "clear"),
      base: fc.bigInt({ min: 0n, max: 63n }),
      size: fc.bigInt({ min: 1n, max: 16n }),
      nid: fc.constantFrom(undefined, 0, 1),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let mb = EMPTY_MEMBLOCK;
        const covered = new Map<bigint, boolean>(); // page -> nomap, an independent model
        for (const o of ops) {
          const b = o.base * 4096n;
          const s = o.size * 4096n;
          if (o.kind === "add") mb = memblockAdd(mb, b, s, o.nid);
          if (o.kind === "remove") mb = memblockRemove(mb, b, s);
          if (o.kind === "mark") mb = memblockMarkNomap(mb, b, s);
          if (o.kind === "clear") mb = memblockClearNomap(mb, b, s);
          for (let p = o.base; p < o.base + o.size; p++) {
            if (o.kind === "add" && !covered.has(p)) covered.set(p, false);
            if (o.kind === "remove") covered.delete(p);
            if ((o.kind === "mark" || o.kind === "clear") && covered.has(p)) covered.set(p, o.kind === "mark");
          }
        }
        for (let i = 1; i < mb.memory.length; i++) {
          const a = mb.memory[i - 1];
          const c = mb.memory[i];
          expect(a.base + a.size).toBeLessThanOrEqual(c.base);
          if (a.base + a.size === c.base) expect(a.nomap !== c.nomap || a.nid !== c.nid).toBe(true);
        }
        const pages = new Map<bigint, boolean>();
        for (const r of mb.memory) for (let p = r.base / 4096n; p < (r.base + r.size) / 4096n; p++) pages.set(p, r.nomap);
        expect(pages).toEqual(covered);
      }),
      { numRuns: 300 },
    );
  });
});

describe("linear-map arithmetic", () => {
  it("ARM64_MEMSTART_ALIGN: 1 GiB with 4K and 16K, 512 MiB with 64K", () => {
    // 4K: PUD_SHIFT = 9 * 2 + 12 = 30 > SECTION_SIZE_BITS 27 → 1 GiB.
    // 16K: CONT_PMD_SHIFT = 5 + PMD_SHIFT (11 + 14 = 25) = 30 > 27 → 1 GiB (not 32 MiB: that is PMD_SIZE).
    // 64K: PMD_SHIFT = 13 + 16 = 29 = SECTION_SIZE_BITS 29 → 512 MiB.
    expect([arm64MemstartAlign(4), arm64MemstartAlign(16), arm64MemstartAlign(64)]).toEqual([GiB, GiB, 512n * MiB]);
  });

  it("PAGE_OFFSET, the linear region, __phys_to_virt and back", () => {
    expect(pageOffset(48)).toBe(0xffff_0000_0000_0000n);
    expect(pageOffset(39)).toBe(0xffff_ff80_0000_0000n);
    expect(linearRegionSize(48)).toBe(128n * TiB); // PAGE_END = -(2^47): half the 48-bit space
    expect(linearRegionSize(39)).toBe(256n * GiB);
    expect(linearRegionSize(52)).toBe((1n << 52n) - (1n << 47n)); // PAGE_END uses VA_BITS_MIN = 48
    expect(physToVirt(0x4321_0000n, 0x4000_0000n)).toBe(0xffff_0000_0321_0000n);
    expect(virtToPhys(0xffff_0000_0321_0000n, 0x4000_0000n)).toBe(0x4321_0000n);
  });

  it("arm64_memblock_init: the linear region clips memory; a high kernel keeps the top instead", () => {
    // Altra with 39-bit VAs: memstart 0x80000000, the region ends at 0x80000000 + 256 GiB =
    // 0x4080000000, so both 8 TiB banks (30 GiB) are removed; 1 + 1792 MiB stay.
    const mb = memblockFromMap(parseFixture("altra-1s-32g.bootlog"));
    const r = arm64MemblockInit(mb, { vaBits: 39 });
    expect(r.memstartAddr).toBe(0x8000_0000n);
    expect(pairs(r.removed)).toEqual([
      [0x800_0000_0000n, 2n * GiB],
      [0x801_0000_0000n, 28n * GiB],
    ]);
    expect(memblockPhysMemSize(r.memblock)).toBe(1793n * MiB);
    // With the kernel at the top (_end at 0x80800000000), nothing below _end may be cut; memory still
    // ends above memstart + 256 GiB, so memstart = round_up(0x80800000000 - 0x4000000000, 1 GiB)
    // = 0x7c800000000 and everything below it goes: the two low runs (1793 MiB); the 30 GiB stay.
    const high = arm64MemblockInit(mb, { vaBits: 39, kernelEnd: 0x808_0000_0000n });
    expect(high.memstartAddr).toBe(0x7c8_0000_0000n);
    expect(pairs(high.memblock.memory)).toEqual([
      [0x800_0000_0000n, 2n * GiB],
      [0x801_0000_0000n, 28n * GiB],
    ]);
    expect(pairs(high.removed)).toEqual([
      [0x8830_0000n, MiB],
      [0x9000_0000n, 1792n * MiB],
    ]);
    // 64K pages, 42-bit VAs (2 TiB linear region), RAM starting at 0x88300000: memstart aligns to 512 MiB.
    expect(arm64MemblockInit(memblockAdd(EMPTY_MEMBLOCK, 0x8830_0000n, GiB), { granule: 64, vaBits: 42 }).memstartAddr).toBe(0x8000_0000n);
    expect(() => arm64MemblockInit(mb, { granule: 16, vaBits: 39 })).toThrow("vaBits: 39 is not offered with 16K pages");
  });
});

describe("round trips", () => {
  // Page-aligned banks with at least one page between them (touching banks would merge in memblock,
  // which is what iomem and the boot log print), below 2^48.
  const banks = fc
    .array(fc.record({ gap: fc.bigInt({ min: 0n, max: 1n << 20n }), pages: fc.bigInt({ min: 1n, max: 1n << 22n }) }), { minLength: 1, maxLength: 12 })
    .map((list) => {
      let cur = 0n;
      return list.map(({ gap, pages }, i) => {
        const base = cur + (i === 0 ? gap : gap + 1n) * 4096n;
        cur = base + pages * 4096n;
        return { base, size: pages * 4096n };
      });
    });

  it("banks → iomem / boot log / shorthand text → parse → the same banks", () => {
    fc.assert(
      fc.property(banks, (list) => {
        const short = list.map((b) => `0x${b.size.toString(16)}@0x${b.base.toString(16)}`).join(",");
        const map = parseMemoryMap(short);
        expect(pairs(map.memory)).toEqual(pairs(list));
        expect(pairs(parseMemoryMap(renderShorthand(map)).memory)).toEqual(pairs(list));
        const iomem = parseMemoryMap(renderIomem(map), { source: "rt.iomem" });
        expect(iomem.format).toBe("iomem");
        expect(pairs(iomem.memory)).toEqual(pairs(list));
        const boot = parseMemoryMap(renderBootlog(map), { source: "rt.log" });
        expect(boot.format).toBe("bootlog");
        expect(pairs(boot.memory)).toEqual(pairs(list));
      }),
      { numRuns: 200 },
    );
  });
});
