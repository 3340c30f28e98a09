/**
 * `explain`: every region of the linear map with the flag, the rule and the commit that made it so.
 * The expected regions are derived by hand from the kernel's rules and the default kernel layout of
 * src/scenario.ts (QEMU virt: _text 2 MiB above the first bank, _stext 64 KiB later, __init_begin
 * 0x1a00000 after _stext), never read back from the tool.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Region {
  start: string;
  end: string;
  mapping: string;
  cont: boolean;
  why: string[];
  commits: string[];
}
interface Json {
  release: string;
  rules: Array<{ field: string; value: string; commit: string | null; subject: string | null; via: string }>;
  regions: Region[];
  notes: string[];
}

function explainJson(...args: string[]): Json {
  const r = run("explain", "--memmap", "8G@0x40000000", ...args, "--json");
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Json;
}

/** `[start, end, mapping, cont]` of each region. */
const layout = (j: Json) => j.regions.map((r) => [r.start, r.end, r.mapping, r.cont]);
const text = (r: Region) => r.why.join("; ");

/** A small .config in a temporary folder. */
function config(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "pgtable-explain-"));
  const file = join(dir, "config");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

// 8 GiB at 1 GiB: RAM [0x40000000, 0x240000000); _text 0x40200000, _stext 0x40210000,
// __init_begin 0x41c10000.
describe("explain", () => {
  it("6.1, defaults: page by page because of rodata=full, the alias [_stext, __init_begin) with blocks", () => {
    const j = explainJson("--kernel", "6.1");
    // rodata=full by default: the bank loop gets NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS. 6.1 maps the
    // alias from _stext (e2a073dde921, v5.11) with NO_CONT_MAPPINGS only: pages up to the first 2M
    // boundary, 2M blocks, pages after the last one. [_text, _stext) stays in the bank loop.
    expect(layout(j)).toEqual([
      ["0x40000000", "0x40210000", "4K", false],
      ["0x40210000", "0x40400000", "4K", false],
      ["0x40400000", "0x41c00000", "2M", false],
      ["0x41c00000", "0x41c10000", "4K", false],
      ["0x41c10000", "0x240000000", "4K", false],
    ]);
    for (const i of [0, 4]) {
      const r = j.regions[i];
      expect(r.why[0]).toMatch(/^page-granular/);
      expect(text(r)).toMatch(/rodata=full by default \(CONFIG_RODATA_FULL_DEFAULT_ENABLED\)/);
      expect(text(r)).toMatch(/NO_BLOCK_MAPPINGS \| NO_CONT_MAPPINGS/);
      // rodata=full by default is the configuration, not a rule with a commit.
      expect(r.commits).toEqual([]);
    }
    for (const r of j.regions.slice(1, 4)) {
      expect(text(r)).toMatch(/kernel alias \[_stext, __init_begin\) \[0x40210000, 0x41c10000\)/);
      expect(text(r)).toMatch(/NO_CONT_MAPPINGS/);
      expect(text(r)).toMatch(/read-only after mark_linear_text_alias_ro\(\)/);
      expect(r.commits).toEqual(["e2a073dde921"]);
    }
    expect(j.rules).toContainEqual({ field: "aliasStart", value: "_stext", commit: "e2a073dde921", subject: "arm64: omit [_text, _stext) from permanent kernel mapping", via: "mainline 5.11" });
    // No crashkernel=, no KFENCE, no rodata=on: those rules did not decide anything here.
    expect(j.rules.map((r) => r.field)).toEqual(["aliasStart"]);

    const t = run("explain", "--memmap", "8G@0x40000000", "--kernel", "6.1");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^ {2}aliasStart = _stext: commit e2a073dde921 "arm64: omit \[_text, _stext\) from permanent kernel mapping" \(mainline 5\.11\)/m);
    expect(t.out).toMatch(/^0x40000000-0x40210000 +page-granular \(4K PTEs, no CONT\): rodata=full by default/m);
    expect(t.out).toMatch(/^0x40400000-0x41c00000 +kernel alias \[_stext, __init_begin\) \[0x40210000, 0x41c10000\), 2M blocks: /m);
    expect(t.out.trim().split("\n").filter((l) => l.startsWith("0x"))).toHaveLength(5);
  });

  it("6.1, rodata=on: blocks and CONT (acfa60dbe038 in 6.1.65), no page-granular reason", () => {
    const j = explainJson("--kernel", "6.1", "--cmdline", "rodata=on");
    // The bank loop may use blocks and CONT. [0x40000000, 0x40210000): one 2M block (its 32M group is
    // cut), then 16 pages = one 64K CONT group. Alias as before. [0x41c10000, 0x240000000): pages in
    // 64K groups to 0x41e00000, one 2M block (group 0x40000000-0x42000000 cut), 2M blocks in 32M
    // groups to 1 GiB-aligned 0x80000000, then 1G blocks.
    expect(layout(j)).toEqual([
      ["0x40000000", "0x40200000", "2M", false],
      ["0x40200000", "0x40210000", "4K", true],
      ["0x40210000", "0x40400000", "4K", false],
      ["0x40400000", "0x41c00000", "2M", false],
      ["0x41c00000", "0x41c10000", "4K", false],
      ["0x41c10000", "0x41e00000", "4K", true],
      ["0x41e00000", "0x42000000", "2M", false],
      ["0x42000000", "0x80000000", "2M", true],
      ["0x80000000", "0x240000000", "1G", false],
    ]);
    for (const r of j.regions) {
      expect(text(r)).not.toMatch(/page-granular|NO_BLOCK_MAPPINGS/);
      expect(text(r)).not.toMatch(/rodata=full/);
    }
    for (const i of [0, 1, 5, 6, 7, 8]) {
      expect(text(j.regions[i])).toMatch(/rodata=on turns rodata_full off: commit acfa60dbe038/);
      expect(j.regions[i].commits).toEqual(["acfa60dbe038"]);
    }
    // Why not bigger leaves: the ends of the ranges the bank loop mapped.
    expect(text(j.regions[7])).toMatch(/not 1G blocks: the range mapped \[0x41c10000, 0x240000000\) starts at 0x41c10000, not 1G-aligned/);
    expect(text(j.regions[6])).toMatch(/no CONT: .*starts at 0x41c10000, not 32M-aligned/);
    const rule = j.rules.find((r) => r.field === "rodataOnHonoured");
    expect(rule).toMatchObject({ value: "yes", commit: "acfa60dbe038" });
    expect(rule!.via).toMatch(/^backport 6\.1\.65/);
  });

  it("6.12.117, kfence.sample_interval=100, CONFIG_KFENCE=y: the early pool at the top of memory, page by page", () => {
    const cfg = config([
      "CONFIG_KFENCE=y",
      "CONFIG_KFENCE_NUM_OBJECTS=255",
      "CONFIG_KFENCE_SAMPLE_INTERVAL=100",
      "CONFIG_RODATA_FULL_DEFAULT_ENABLED=y",
      "CONFIG_ZONE_DMA=y",
      "CONFIG_ZONE_DMA32=y",
    ]);
    const j = explainJson("--kernel", "6.12.117", "--cmdline", "kfence.sample_interval=100", "--config", cfg);
    // KFENCE_POOL_SIZE = (255 + 1) * 2 pages = 2 MiB, memblock_phys_alloc()'d top-down as the first
    // allocation of map_mem(): [0x240000000 - 2M, 0x240000000). kfence_init_pool() protects pages
    // 0 and 1 and each object's right guard page: 2 + 255 = 257 invalid pages.
    const pool = j.regions[j.regions.length - 1];
    expect([pool.start, pool.end, pool.mapping, pool.cont]).toEqual(["0x23fe00000", "0x240000000", "4K", false]);
    expect(pool.why[0]).toMatch(/^KFENCE pool \[0x23fe00000, 0x240000000\) \(2M\): page-granular/);
    expect(text(pool)).toMatch(/arm64_kfence_alloc_pool\(\).*kfence\.sample_interval=100/);
    expect(text(pool)).toMatch(/257 guard pages invalid \(kfence_init_pool\(\)\)/);
    expect(text(pool)).toMatch(/commit bfa7965b33ab "mm,kfence: decouple kfence from page granularity mapping judgement"/);
    expect(pool.commits).toEqual(["bfa7965b33ab"]);
    expect(j.rules).toContainEqual({ field: "kfence", value: "early-pool", commit: "bfa7965b33ab", subject: "mm,kfence: decouple kfence from page granularity mapping judgement", via: "mainline 6.4" });
    // 6.12.117 maps the alias from _text again (5973a62efa34, Debian's 6.12.117 has it).
    const alias = j.regions.find((r) => r.why[0].startsWith("kernel alias"))!;
    expect([alias.start, alias.mapping]).toEqual(["0x40200000", "2M"]);
    expect(alias.commits).toEqual(["5973a62efa34"]);
    // The bank loop just below the pool is still page by page, for rodata=full (not for KFENCE).
    const below = j.regions[j.regions.length - 2];
    expect([below.start, below.end, below.mapping]).toEqual(["0x41c10000", "0x23fe00000", "4K"]);
    expect(text(below)).toMatch(/rodata=full by default/);
    expect(text(below)).not.toMatch(/KFENCE/);
  });

  it("5.10.223, crashkernel=256M rodata=off with ZONE_DMA: page by page for the deferred reservation (031495635b46)", () => {
    const cfg = config(["CONFIG_ZONE_DMA=y", "CONFIG_ZONE_DMA32=y", "CONFIG_KEXEC_CORE=y", "CONFIG_RODATA_FULL_DEFAULT_ENABLED=y"]);
    const j = explainJson("--kernel", "5.10.223", "--cmdline", "crashkernel=256M rodata=off", "--config", cfg);
    // 5.10.223 has 031495635b46 (defer-if-dma): with a DMA zone the reservation waits for the zone
    // limits, so map_mem() maps every bank page by page. rodata=off plays no part. No CMA (not
    // configured): the crash kernel goes top-down below ZONE_DMA's 4 GiB: [0xf0000000, 0x100000000).
    const crashRule = { field: "crash", value: "defer-if-dma", commit: "031495635b46", subject: "arm64: Do not defer reserve_crashkernel() for platforms with no DMA memory zones" };
    expect(j.rules).toContainEqual(expect.objectContaining(crashRule));
    expect(j.rules.find((r) => r.field === "crash")!.via).toMatch(/^backport 5\.10\.110/);
    const bank = j.regions.filter((r) => !r.why[0].startsWith("kernel alias"));
    expect(bank.map((r) => [r.start, r.end])).toEqual([
      ["0x40000000", "0x40200000"],
      ["0x41c10000", "0xf0000000"],
      ["0xf0000000", "0x100000000"],
      ["0x100000000", "0x240000000"],
    ]);
    for (const r of bank) {
      expect([r.mapping, r.cont]).toEqual(["4K", false]);
      expect(r.why[0]).toMatch(/^page-granular/);
      expect(text(r)).toMatch(/crashkernel= on the command line \(reservation deferred until the DMA zones are known\): commit 031495635b46/);
      expect(text(r)).not.toMatch(/rodata/);
      expect(r.commits).toEqual(["031495635b46"]);
    }
    expect(text(bank[2])).toMatch(/crashkernel \[0xf0000000, 0x100000000\) \(256M, crashkernel=256M\) is reserved after map_mem\(\)/);
    // 5.10 maps the alias from _text (the baseline, no commit).
    const alias = j.regions.filter((r) => r.why[0].startsWith("kernel alias"));
    expect(layout({ ...j, regions: alias })).toEqual([
      ["0x40200000", "0x41c00000", "2M", false],
      ["0x41c00000", "0x41c10000", "4K", false],
    ]);
    expect(alias[0].commits).toEqual([]);
  });

  it("--json: release, rules, regions in address order and notes, as on stderr", () => {
    const r = run("explain", "--memmap", "8G@0x40000000", "--kernel", "6.12", "--cmdline", "kfence.sample_interval=100", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Json;
    expect(Object.keys(j)).toEqual(["release", "rules", "regions", "notes"]);
    expect(j.release).toBe("6.12");
    for (const rule of j.rules) {
      expect(Object.keys(rule)).toEqual(["field", "value", "commit", "subject", "via"]);
      expect(typeof rule.value).toBe("string");
      if (rule.commit !== null) expect(rule.commit).toMatch(/^[0-9a-f]{12}$/);
    }
    let end = 0n;
    for (const reg of j.regions) {
      expect(Object.keys(reg)).toEqual(["start", "end", "mapping", "cont", "why", "commits"]);
      expect(reg.start).toMatch(/^0x[0-9a-f]+$/);
      expect(BigInt(reg.start)).toBeGreaterThanOrEqual(end);
      expect(BigInt(reg.end)).toBeGreaterThan(BigInt(reg.start));
      end = BigInt(reg.end);
      expect(["1G", "2M", "4K"]).toContain(reg.mapping);
      expect(typeof reg.cont).toBe("boolean");
      expect(reg.why.length).toBeGreaterThan(0);
      for (const c of reg.commits) expect(reg.why.join(" ")).toContain(`commit ${c}`);
    }
    // All of RAM is mapped: the regions tile [0x40000000, 0x240000000).
    expect(j.regions[0].start).toBe("0x40000000");
    expect(end).toBe(0x240000000n);
    // defconfig has no KFENCE: the interval changes nothing, which a note says, in JSON and on stderr.
    const note = "kfence.sample_interval=100: no effect: CONFIG_KFENCE is not set in arm64 defconfig (no --config given: pass the kernel's .config with --config)";
    expect(j.notes).toContain(note);
    expect(r.err).toContain(`note: ${note}`);
    expect(j.rules.map((x) => x.field)).not.toContain("kfence");
  });

  it("names leaves by the granule: 64K pages map with 512M blocks and 2M CONT groups of pages", () => {
    const j = explainJson("--kernel", "6.1", "--cmdline", "rodata=on", "--granule", "64k");
    // 64K pages: PMD blocks are 512M (no PUD blocks), CONT groups 32 x 64K = 2M. [0x41c10000, 0x240000000):
    // 31 pages to 0x41e00000 (not a whole 2M group), CONT pages to the 512M boundary 0x60000000, then
    // 15 x 512M blocks (a 16G CONT group of them does not fit).
    expect(layout(j).slice(-3)).toEqual([
      ["0x41c10000", "0x41e00000", "64K", false],
      ["0x41e00000", "0x60000000", "64K", true],
      ["0x60000000", "0x240000000", "512M", false],
    ]);
    expect(text(j.regions[j.regions.length - 2])).toMatch(/pages, not 512M blocks/);
  });
});

describe("explain on 7.x", () => {
  it("7.3 on a 7.3.4 capture's memory map and symbols: the alias with the bank flags, the data/bss alias invalid", () => {
    const cap = join(ROOT, "test", "fixtures", "qemu", "7.3");
    const r = run("explain", "--memmap", join(cap, "2G-default", "iomem.txt"), "--kernel", "7.3.4",
      "--config", join(cap, "config-7.3.4+deb13-arm64.relevant"), "--kernel-symbols", join(cap, "2G-default", "kernel-syms.txt"), "--json");
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out) as Json;
    // kernel-syms.txt: _text 0xffff800080000000 (iomem "Kernel code" 0x40200000), __init_begin +0x2700000,
    // __init_end +0x2b00000, __bss_stop +0x321e000.
    const at = (start: string) => e.regions.find((x) => x.start === start)!;
    expect(at("0x40200000")).toMatchObject({ end: "0x42900000", mapping: "4K" });
    expect(at("0x40200000").why.join(" ")).toMatch(/mapped first by map_mem\(\), with the bank loop's flags, read-only after mark_linear_text_alias_ro\(\)/);
    expect(at("0x42d00000")).toMatchObject({ end: "0x4341e000", mapping: "4K" });
    expect(at("0x42d00000").why.join(" ")).toMatch(/invalid after mark_rodata_ro\(\).*sets nG/);
    expect(e.rules.map((x) => x.field)).toEqual(expect.arrayContaining(["rodataSyntax", "aliasMapping", "dataAlias", "invalidNg"]));
  });
});
