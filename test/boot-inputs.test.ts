/**
 * Inputs of the boot model that real machines have: the CPU's LPA2 support with a 52-bit build,
 * banks that touch (memblock merges them before map_mem()), KASLR's linear offset and the KPTI it
 * forces, and /proc/iomem's end-of-boot reservations. Expected values are derived by hand from the
 * kernel's rules.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type KernelConfig } from "../src/kernel/config.js";
import { runtimeVaBits } from "../src/kernel/va-bits.js";
import { parseMemoryMap } from "../src/memmap/index.js";
import { findSection, firstMappedVa, formatLinearMap, kaslrOffsetFromDump, parsePtdump } from "../src/ptdump/index.js";
import { runScenario } from "../src/scenario.js";

const G = 1n << 30n;
const config52: KernelConfig = { ...DEFAULT_CONFIG, vaBits: 52 };

describe("a 52-bit build runs with the VA size the CPU allows", () => {
  it("falls back to VA_BITS_MIN without FEAT_LPA2/LVA (48; 47 with 16K pages)", () => {
    expect(runtimeVaBits(4, 52, { lpa2: false, lva: false })).toBe(48);
    expect(runtimeVaBits(16, 52, { lpa2: false, lva: false })).toBe(47);
    expect(runtimeVaBits(64, 52, { lpa2: true, lva: false })).toBe(48); // 64K needs LVA, not LPA2
    expect(runtimeVaBits(4, 52, { lpa2: true, lva: false })).toBe(52);
    expect(runtimeVaBits(64, 52, { lpa2: false, lva: true })).toBe(52);
    expect(runtimeVaBits(4, 48, { lpa2: true, lva: true })).toBe(48); // a 48-bit build stays 48
  });
  it("a CONFIG_ARM64_VA_BITS=52 config without --cpu-lpa2: 48-bit VAs, said in a note", () => {
    const memmap = parseMemoryMap("8G@0x40000000");
    const sc = runScenario({ memmap, kernel: "6.12.117", config: config52 });
    expect(sc.boot.geometry.vaBits).toBe(48);
    expect(sc.linear.start).toBe(0xffff_0000_0000_0000n);
    expect(sc.notes.some((n) => n.includes("CONFIG_ARM64_VA_BITS=52") && n.includes("48-bit") && n.includes("--cpu-lpa2"))).toBe(true);
  });
  it("with FEAT_LPA2: 52-bit VAs, five levels, PAGE_OFFSET 0xfff0000000000000, PAGE_END still 0xffff800000000000", () => {
    const memmap = parseMemoryMap("8G@0x40000000");
    const sc = runScenario({ memmap, kernel: "6.12.117", config: config52, cpu: { lpa2: true } });
    expect(sc.boot.geometry.vaBits).toBe(52);
    expect(sc.boot.geometry.levels).toBe(5);
    const dump = formatLinearMap(sc.pt, "6.12");
    expect(dump.split("\n")[1].startsWith("0xfff0000000000000-")).toBe(true);
    // The last line stops at PAGE_END = _PAGE_END(VA_BITS_MIN = 48), not at 2^64.
    const lines = dump.trimEnd().split("\n");
    expect(lines[lines.length - 2]).toMatch(/^0x[0-9a-f]{16}-0xffff800000000000 /);
    expect(lines[lines.length - 1]).toBe("---[ Linear Mapping end ]---");
  });
});

describe("banks that touch are one memblock region when map_mem() runs", () => {
  // NUMA node ids are set in bootmem_init(), after map_mem(): two nodes touching at a 2 MiB
  // boundary inside a 1 GiB block are mapped by one __map_memblock() call, so with rodata=on the
  // map is 1 PGD + 1 PUD table + 2 PMD tables (the 1 GiB blocks around 0x40000000 and the
  // kernel alias split the first and the ninth GiB... the same tables as one 8 GiB bank).
  const twoNodes = "[    0.000000]   node   0: [mem 0x0000000040000000-0x00000001401fffff]\n[    0.000000]   node   1: [mem 0x0000000140200000-0x000000023fffffff]\n";
  it("costs what one bank of the same memory costs", () => {
    const split = runScenario({ memmap: parseMemoryMap(twoNodes, { source: "nodes.log", format: "bootlog" }), kernel: "6.1.192", cmdline: "rodata=on" });
    const one = runScenario({ memmap: parseMemoryMap("8G@0x40000000"), kernel: "6.1.192", cmdline: "rodata=on" });
    expect(split.pt.stats()).toEqual(one.pt.stats());
    expect(formatLinearMap(split.pt, "6.1")).toBe(formatLinearMap(one.pt, "6.1"));
    // One region: the bank loop made one mapping call.
    expect(split.boot.banks.length).toBe(one.boot.banks.length);
  });
});

describe("KASLR", () => {
  const memmap = parseMemoryMap("8G@0x40000000");
  it("moves the linear map up by the offset and forces KPTI (nG) on a CPU without E0PD", () => {
    const off = 0x3a_4000_0000n; // 233 GiB: a multiple of ARM64_MEMSTART_ALIGN (1 GiB)
    const plain = runScenario({ memmap, kernel: "6.1.192" });
    const moved = runScenario({ memmap, kernel: "6.1.192", kaslrOffset: off });
    expect(moved.boot.memstart).toBe(plain.boot.memstart - off);
    const first = (sc: typeof plain) => firstMappedVa(findSection(parsePtdump(formatLinearMap(sc.pt, "6.1")), "Linear Mapping")!)!;
    expect(first(moved) - first(plain)).toBe(off);
    expect(formatLinearMap(moved.pt, "6.1")).toContain(" NG ");
    expect(formatLinearMap(plain.pt, "6.1")).not.toContain(" NG ");
    const e0pd = runScenario({ memmap, kernel: "6.1.192", kaslrOffset: off, cpu: { e0pd: true } });
    expect(formatLinearMap(e0pd.pt, "6.1")).not.toContain(" NG ");
    // ... and the offset is found again from the dump alone.
    const real = findSection(parsePtdump(formatLinearMap(moved.pt, "6.1")), "Linear Mapping")!;
    expect(kaslrOffsetFromDump(real, first(plain), 1n << 30n)).toBe(off);
  });
  it("refuses an offset that is not a multiple of ARM64_MEMSTART_ALIGN", () => {
    expect(() => runScenario({ memmap, kernel: "6.1.192", kaslrOffset: 0x1000n })).toThrow(/ARM64_MEMSTART_ALIGN/);
  });
  it("nokaslr wins, with a note", () => {
    const sc = runScenario({ memmap, kernel: "6.1.192", cmdline: "nokaslr", kaslrOffset: 4n * G });
    expect(sc.boot.memstart).toBe(0x4000_0000n);
    expect(sc.notes.some((n) => n.includes("--kaslr-offset") && n.includes("nokaslr"))).toBe(true);
  });
});

describe("/proc/iomem's nested reserved ranges are end-of-boot state", () => {
  const iomem = [
    "40000000-23fffffff : System RAM",
    "  40210000-4185ffff : Kernel code",
    "  41860000-41b8ffff : reserved",
    "  41b90000-41fcffff : Kernel data",
    "  f0000000-fbffffff : reserved",
    "  fc000000-ffffffff : reserved",
    "",
  ].join("\n");
  it("are kept apart, not taken as reservations made before the linear map", () => {
    const m = parseMemoryMap(iomem, { source: "iomem", format: "iomem" });
    expect(m.reserved).toEqual([]);
    expect(m.lateReserved?.map((r) => r.base)).toEqual([0x4186_0000n, 0xf000_0000n, 0xfc00_0000n]);
    // So CMA (64 MiB) lands at the top of ZONE_DMA (4 GiB), where the kernel puts it, and a
    // deferred crashkernel below it: 0x100000000 - 64M - 256M.
    const sc = runScenario({ memmap: m, kernel: "6.1.192", cmdline: "crashkernel=256M", config: { ...DEFAULT_CONFIG, cmaSizeMbytes: 64 } });
    expect(sc.boot.cma).toEqual({ base: 0xfc00_0000n, size: 64n << 20n });
    expect(sc.boot.crashkernel?.base).toBe(0xec00_0000n);
  });
});

describe("a distribution's ABI release name", () => {
  const memmap = parseMemoryMap("8G@0x40000000");
  it("is accepted, the patch level stated as assumed", () => {
    const sc = runScenario({ memmap, kernel: "6.1.0-56-arm64" });
    expect(sc.notes[0]).toMatch(/6\.1\.0-56-arm64 is a distribution ABI name .* assumed the 6\.1 line's latest stable release/);
  });
  it("takes the stable release from /proc/version", () => {
    const version = "Linux version 6.1.0-56-arm64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP Debian 6.1.192-2 (2026-11-16)";
    const sc = runScenario({ memmap, kernel: "6.1.0-56-arm64", kernelVersion: version });
    expect(sc.policy.release.patch).toBe(192);
    expect(sc.notes[0]).toContain("stable release 6.1.192 read from the Debian package version 6.1.192-2");
  });
});
