/**
 * Kernel policies: releases, .config, command line, crashkernel= and the boot model, with
 * expectations derived by hand from the kernel sources named in src/kernel/.
 */
import { describe, expect, it } from "vitest";
import { PTE_RDONLY, PTE_VALID } from "../src/descriptor.js";
import { countLeaves } from "../src/leaves.js";
import { CmdlineError, parseCmdline } from "../src/kernel/cmdline.js";
import { DEFAULT_CONFIG, ConfigError, parseConfig } from "../src/kernel/config.js";
import { CrashkernelError, parseCrashkernel } from "../src/kernel/crashkernel.js";
import { type BootMemory, bootLinearMap, maxZonePhys } from "../src/kernel/boot.js";
import { policyFor } from "../src/kernel/policy.js";
import { UnknownKernelError, parseRelease } from "../src/kernel/release.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const G = 1n << 30n;
const M = 1n << 20n;
const p61 = policyFor(parseRelease("6.1"));

describe("releases and policies", () => {
  it("maps releases to the rules of their line", () => {
    expect(policyFor(parseRelease("5.10.21")).crash).toBe("carve-out");
    expect(policyFor(parseRelease("5.10.46")).crash).toBe("late-blocks");
    expect(policyFor(parseRelease("5.10.223")).crash).toBe("defer-if-dma");
    expect(policyFor(parseRelease("5.10.30")).crash).toBe("late-blocks");
    expect(policyFor(parseRelease("5.11")).crash).toBe("late-blocks");
    expect(policyFor(parseRelease("5.15.0")).crash).toBe("force-pages");
    expect(policyFor(parseRelease("6.1.192")).crash).toBe("defer-if-dma");
    expect(policyFor(parseRelease("6.4")).crash).toBe("none");
    expect(policyFor(parseRelease("6.12.117")).safeRule).toBe("v6.12");
    expect(policyFor(parseRelease("6.18")).bbml2).toBe(true);
    expect(policyFor(parseRelease("5.10")).tableAttrs).toBe(0n);
    expect(policyFor(parseRelease("6.1")).tableAttrs).toBe(1n << 60n);
  });
  it("rejects releases it does not model", () => {
    expect(() => parseRelease("4.19")).toThrow(UnknownKernelError);
    expect(() => parseRelease("7.4")).toThrow(/only releases from 5.10 to 7.3/);
    expect(() => parseRelease("six")).toThrow(/not a kernel release/);
    // uname -r on Debian and Ubuntu: the ABI number is not the stable patch level.
    expect(parseRelease("5.10.0-30-arm64")).toMatchObject({ major: 5, minor: 10, patch: undefined, patchAssumed: true });
    expect(() => parseRelease("6.4-rc3")).toThrow(/release candidates/);
  });
});

describe("command line", () => {
  it("reads the parameters that shape the linear map and ignores the usual others", () => {
    const c = parseCmdline('BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet rodata=on crashkernel=1G-4G:192M,4G-:256M kpti=1 kfence.sample_interval=100 usbcore.autosuspend=-1');
    expect(c.rodata).toBe("on");
    expect(c.crashkernel).toEqual(["1G-4G:192M,4G-:256M"]);
    expect(c.kpti).toBe(true);
    expect(c.kfenceSampleInterval).toBe(100);
    expect(c.ignored).toContain("usbcore.autosuspend=-1");
  });
  it("names a bad or unknown parameter", () => {
    expect(() => parseCmdline("rodata=yes")).toThrow(CmdlineError);
    expect(() => parseCmdline("rodata=yes")).toThrow("--cmdline: rodata=yes: rodata takes on, off, full (before 6.18) or noalias (6.18+)");
    expect(() => parseCmdline("rodat=full")).toThrow(/rodat=full: unknown parameter/);
    expect(() => parseCmdline("kpti=maybe")).toThrow(/not a boolean/);
  });
});

describe(".config", () => {
  it("reads the options map_mem() depends on; absent options are not set", () => {
    const c = parseConfig("# comment\nCONFIG_KFENCE=y\nCONFIG_KFENCE_SAMPLE_INTERVAL=0\nCONFIG_ZONE_DMA32=y\n# CONFIG_ZONE_DMA is not set\nCONFIG_ARM64_VA_BITS=48\nCONFIG_OTHER=\"x\"\n");
    expect(c.kfence).toBe(true);
    expect(c.kfenceSampleInterval).toBe(0);
    expect(c.zoneDma).toBe(false);
    expect(c.zoneDma32).toBe(true);
    expect(c.rodataFullDefault).toBe(false);
  });
  it("names the line of a malformed entry", () => {
    expect(() => parseConfig("CONFIG_KFENCE=y\nhello\n", "config-6.1")).toThrow(new ConfigError("config-6.1", 2, 'not a CONFIG_ line: "hello"'));
    expect(() => parseConfig("CONFIG_KFENCE=maybe\n", "c")).toThrow("c:1: CONFIG_KFENCE must be y, m or n, not maybe");
  });
});

describe("crashkernel=", () => {
  it("parses size, offset, range lists and ,high/,low as parse_crashkernel does", () => {
    expect(parseCrashkernel(["256M"], 8n * G, p61)).toEqual({ size: 256n * M, base: undefined, high: false, lowSize: undefined });
    expect(parseCrashkernel(["512M@0x80000000"], 8n * G, p61)?.base).toBe(0x8000_0000n);
    // Ranges are matched against the RAM size rounded up to 128 MiB: 8 GiB falls in "4G-".
    expect(parseCrashkernel(["1G-4G:192M,4G-:256M"], 8n * G, p61)?.size).toBe(256n * M);
    expect(parseCrashkernel(["1G-4G:192M,4G-:256M"], 2n * G, p61)?.size).toBe(192n * M);
    // No range matches 512 MiB of RAM: nothing is reserved.
    expect(parseCrashkernel(["1G-4G:192M"], 512n * M, p61)).toBeUndefined();
    expect(parseCrashkernel(["1G,high", "128M,low"], 8n * G, p61)).toEqual({ size: G, base: undefined, high: true, lowSize: 128n * M });
    // The last plain crashkernel= wins.
    expect(parseCrashkernel(["128M", "256M"], 8n * G, p61)?.size).toBe(256n * M);
  });
  it("rejects what the kernel rejects", () => {
    expect(() => parseCrashkernel(["256Q"], 8n * G, p61)).toThrow(CrashkernelError);
    expect(() => parseCrashkernel(["4G-1G:64M"], 8n * G, p61)).toThrow(/end <= start/);
    expect(() => parseCrashkernel(["1G,high"], 8n * G, policyFor(parseRelease("5.15")))).toThrow(/not understood before 5.19/);
  });
  it("falls back above the DMA zone on v6.2+ when crashkernel=X does not fit below it", () => {
    // A Raspberry Pi 4 shape: 4 GiB from 0, ZONE_DMA 30 bits (1 GiB); a 1 GiB request cannot fit
    // below 1 GiB next to the kernel.
    const rpi: BootMemory = { memory: [{ base: 0n, size: 4n * G }], nomap: [], reserved: [], kernel: { text: 0x20_0000n, stext: 0x21_0000n, initBegin: 0x180_0000n, initEnd: 0x180_0000n, bssStop: 0x1c0_0000n, end: 0x1c0_0000n }, zoneDmaBits: 30 };
    const run = (release: string) =>
      bootLinearMap({ policy: policyFor(parseRelease(release)), config: { ...DEFAULT_CONFIG }, cmdline: parseCmdline("crashkernel=1G"), memory: rpi }, (o) => new WasmPageTable(o)).result.crashkernel!;
    expect(run("6.1").size).toBe(0n);
    expect(run("6.1").log.join()).toMatch(/cannot allocate crashkernel/);
    // 6.12: placed top-down in all memory, with the default 128 MiB low part below 1 GiB, under the
    // 32 MiB CMA area at the top of the zone (0x3e000000). The top of memory is taken first: the
    // linear map's tables (rodata=full: 2048 PMD entries less the alias's 11 blocks = 2037 PTE tables,
    // 4 PMD, 1 PUD: 2042 pages, from 0xff806000), NODE_DATA (14144 bytes), sparse's root array
    // (2^(48-27) sections / 256 per root * 8 bytes = 64 KiB) and one root page, all above 0xff700000,
    // then the memmap buffer (32 sections * 2 MiB, 2 MiB aligned: 0xfb600000-0xff600000). 1 GiB below
    // it, 2 MiB aligned:
    const r = run("6.12");
    expect(r.base).toBe(0xbb60_0000n);
    expect(r.low).toEqual({ base: 0x3e00_0000n - 128n * M, size: 128n * M });
  });

  it("computes the DMA zone limit as max_zone_phys()", () => {
    // QEMU virt, 8 GiB at 1 GiB: 32-bit zone ends at 4 GiB.
    expect(maxZonePhys(32, G, 9n * G)).toBe(4n * G);
    // Raspberry Pi 4: 30-bit ZONE_DMA, RAM from 0.
    expect(maxZonePhys(30, 0n, 4n * G)).toBe(G);
    // DRAM above 4 GiB (Ampere Altra at 8 TiB): the zone spans all of it.
    expect(maxZonePhys(32, 0x800_0000_0000n, 0x800_0000_0000n + 32n * G)).toBe(0x800_0000_0000n + 32n * G);
  });
});

/** QEMU virt with `ram` at 0x40000000 and a kernel at 0x40200000 (_stext 64K in, 24 MiB of text). */
function virt(ram: bigint): BootMemory {
  return {
    memory: [{ base: 0x4000_0000n, size: ram }],
    nomap: [],
    reserved: [],
    kernel: { text: 0x4020_0000n, stext: 0x4021_0000n, initBegin: 0x4180_0000n, end: 0x41c0_0000n },
    zoneDmaBits: 32,
  };
}

function boot(release: string, cmdline: string, ram = 8n * G, extra: { kexecLoaded?: boolean } = {}) {
  return bootLinearMap(
    { policy: policyFor(parseRelease(release)), config: { ...DEFAULT_CONFIG }, cmdline: parseCmdline(cmdline), memory: virt(ram), ...extra },
    (o) => new WasmPageTable(o),
  );
}

describe("boot: map_mem() on QEMU virt, 8 GiB", () => {
  it("v6.1 default (rodata=full): pages everywhere but the kernel alias, which keeps 2M blocks", () => {
    const { pt, result } = boot("6.1", "");
    expect(result.memstart).toBe(0x4000_0000n);
    const leaves = countLeaves(pt);
    // The alias [0x40210000, 0x41800000): 496 pages up to 0x40400000, then 10 PMD blocks.
    expect(leaves.entries[2]).toBe(10);
    expect(leaves.entries[3]).toBe(8 * 262144 - 10 * 512);
    expect(leaves.cont[3]).toBeUndefined();
    const s = pt.stats();
    expect([s.levels[2].live, s.levels[1].live, s.levels[0].live]).toEqual([1, 8, 4096 - 10]);
    // Read-only after mark_linear_text_alias_ro(); tagged outside it.
    expect(pt.walk(0xffff_0000_0050_0000n).descriptor & PTE_RDONLY).toBe(PTE_RDONLY);
    expect(pt.walk(0xffff_0000_0200_0000n).descriptor & (7n << 2n)).toBe(1n << 2n);
  });
  it("v6.1 rodata=on: 1G, 2M (CONT) blocks and a single PTE table", () => {
    const { pt } = boot("6.1", "rodata=on");
    const leaves = countLeaves(pt);
    // 7 x 1G above 2 GiB; PMD blocks: 1 below the kernel, 4 from 0x41800000 to the 32M boundary,
    // 496 CONT blocks from 0x42000000 to 2 GiB, 10 in the alias; PTEs: 16 (one CONT group) + 496.
    expect(leaves.entries).toEqual({ 1: 7, 2: 511, 3: 512 });
    expect(leaves.cont).toEqual({ 2: 496, 3: 16 });
    const s = pt.stats();
    expect([s.levels[2].live, s.levels[1].live, s.levels[0].live]).toEqual([1, 1, 1]);
  });
  it("v6.1 crashkernel=256M with rodata=on: deferred reservation below 4 GiB, page-granular map", () => {
    const { pt, result } = boot("6.1", "rodata=on crashkernel=256M");
    // dma_contiguous_reserve() first: defconfig's 32 MiB CMA at the top of the 4 GiB DMA zone
    // (0xfe000000), then the crashkernel top-down below it.
    expect(result.cma).toEqual({ base: 0xfe00_0000n, size: 32n * M });
    expect(result.crashkernel?.base).toBe(0xee00_0000n);
    expect(countLeaves(pt).entries[1]).toBeUndefined();
    expect(result.reasons.join(" ")).toMatch(/crashkernel/);
  });
  it("v5.10.21 crashkernel=256M with rodata=on: blocks, the crashkernel carved out and mapped page by page", () => {
    const { pt, result } = boot("5.10.21", "rodata=on crashkernel=256M", 8n * G, { kexecLoaded: true });
    expect(result.crashkernel?.base).toBe(0xf000_0000n);
    const crashVa = 0xffff_0000_0000_0000n + 0xf000_0000n - 0x4000_0000n;
    // Invalidated by arch_kexec_protect_crashkres(): page entries with VALID clear.
    expect(pt.walk(crashVa).fault).toBe("translation");
    expect(pt.walk(crashVa).level).toBe(3);
    expect(result.failure).toBeUndefined();
    expect(pt.walk(crashVa - 0x1000n).descriptor & PTE_VALID).toBe(PTE_VALID);
  });
  it("the upstream options for crashkernel=256M, rodata=on, cost what the splits and carve-outs need", () => {
    const run = (crashStrategy: "blocks-then-split" | "early-firmware" | "assume-1g-dma") =>
      bootLinearMap(
        { policy: p61, config: { ...DEFAULT_CONFIG }, cmdline: parseCmdline("rodata=on crashkernel=256M"), memory: virt(8n * G), crashStrategy },
        (o) => new WasmPageTable(o),
      );
    // (1) Blocks, then invalidate [0xee000000, 0xfe000000): both ends are 32M aligned, so only the
    // 1G block at 0xc0000000 splits, into one PMD table of 512 CONT blocks; the 128 blocks in range
    // are invalidated in place. PMD tables: the first GiB's and this one.
    const split = run("blocks-then-split");
    expect(split.result.crashkernel?.base).toBe(0xee00_0000n);
    expect(split.pt.stats().levels[1].live).toBe(2);
    expect(split.result.steps.some((st) => st.what.includes("1 table pages allocated, 641 descriptors written"))).toBe(true);
    // (2) Known in time: the 256M region is carved out below 4 GiB before CMA (0xf0000000) and
    // mapped page by page: 128 PTE tables more than with blocks, in one more PMD table.
    const early = run("early-firmware");
    expect(early.result.crashkernel?.base).toBe(0xf000_0000n);
    expect(countLeaves(early.pt).entries[3]).toBe(512 + 65536);
    expect(early.pt.stats().levels[0].live).toBe(1 + 128);
    // (3) On QEMU virt RAM starts at 1 GiB, so a 30-bit zone widens to 4 GiB (max_zone_phys()):
    // the same as (2) here.
    expect(countLeaves(run("assume-1g-dma").pt)).toEqual(countLeaves(early.pt));
  });

  it("KFENCE (Debian 6.12: CONFIG_KFENCE=y, sample interval 0) leaves the map page-granular even with rodata=on", () => {
    const kfence = { ...DEFAULT_CONFIG, kfence: true, kfenceSampleInterval: 0 };
    const run = (cmdline: string) =>
      bootLinearMap({ policy: policyFor(parseRelease("6.12.117")), config: kfence, cmdline: parseCmdline(cmdline), memory: virt(8n * G) }, (o) => new WasmPageTable(o));
    const late = run("rodata=on");
    expect(late.result.reasons.join(" ")).toMatch(/KFENCE with sample interval 0/);
    expect(countLeaves(late.pt).entries[1]).toBeUndefined();
    // kfence.sample_interval=100: the pool, (255 + 1) * 2 pages = 2 MiB, is allocated early at the
    // top of memory, carved out and mapped page by page; the rest gets blocks again.
    const early = run("rodata=on kfence.sample_interval=100");
    expect(early.result.kfencePool).toEqual({ base: 0x2_3fe0_0000n, size: 2n * M });
    expect(countLeaves(early.pt).entries[1]).toBe(6);
    const poolVa = 0xffff_0000_0000_0000n + 0x2_3fe0_0000n - 0x4000_0000n;
    expect(early.pt.walk(poolVa).level).toBe(3);
    expect(early.pt.walk(poolVa - 0x20_0000n).level).toBe(2);
  });

  it("v6.18 with BBML2 on every CPU keeps blocks under rodata=full", () => {
    const all = bootLinearMap(
      { policy: policyFor(parseRelease("6.18")), config: { ...DEFAULT_CONFIG }, cmdline: parseCmdline(""), memory: virt(8n * G), bbml2: "all" },
      (o) => new WasmPageTable(o),
    );
    expect(countLeaves(all.pt).entries[1]).toBe(7);
    const none = bootLinearMap(
      { policy: policyFor(parseRelease("6.18")), config: { ...DEFAULT_CONFIG }, cmdline: parseCmdline(""), memory: virt(8n * G), bbml2: "boot" },
      (o) => new WasmPageTable(o),
    );
    expect(countLeaves(none.pt).entries[1]).toBeUndefined();
    expect(countLeaves(none.pt).cont[2]).toBeUndefined();
  });
});
