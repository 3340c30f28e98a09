/**
 * No silent answers: every option and input either changes the result or gives a one-line note on
 * stderr (`note: …`, and `notes` in `summary --json`) saying why it did not. The CLI is run as a
 * user runs it (dist/, a child process).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSweep, toMarkdown } from "../src/sweep/index.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const QEMU = join(ROOT, "test", "fixtures", "qemu", "6.1");
const MEMMAPS = join(ROOT, "test", "fixtures", "memmaps");
const M16 = "16G@0x40000000";
const M8 = "8G@0x40000000";

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The `note: …` lines of stderr, without the prefix; every stderr line must be one. */
function notesOf(err: string): string[] {
  const lines = err.split("\n").filter((l) => l !== "");
  for (const l of lines) expect(l).toMatch(/^note: /);
  return lines.map((l) => l.slice("note: ".length));
}

function json(...args: string[]) {
  const r = run("summary", ...args, "--json");
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out);
  // The JSON carries the same notes as stderr.
  expect(j.notes).toEqual(notesOf(r.err));
  return j;
}

const tmp = () => mkdtempSync(join(tmpdir(), "pgtable-notes-"));

describe("notes: what an input did not change, and why", () => {
  it("1. crashkernel=banana: a note, exit 0, the map unchanged", () => {
    const bad = run("ptdump", "--memmap", M8, "--cmdline", "crashkernel=banana");
    const none = run("ptdump", "--memmap", M8);
    expect(bad.code).toBe(0);
    expect(bad.out).toBe(none.out);
    const notes = notesOf(bad.err);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^crashkernel=banana: invalid .*no crash kernel reserved.*parse_crashkernel\(\) fails/);
    expect(json("--memmap", M8, "--cmdline", "crashkernel=banana").crashkernel).toBeUndefined();
  });

  it("2. kfence.sample_interval= and debug_pagealloc= without CONFIG_KFENCE / CONFIG_DEBUG_PAGEALLOC", () => {
    const r = run("summary", "--memmap", M16, "--cmdline", "kfence.sample_interval=100 debug_pagealloc=on");
    expect(r.code).toBe(0);
    const notes = notesOf(r.err);
    expect(notes).toContainEqual(expect.stringMatching(/^kfence\.sample_interval=100: no effect: CONFIG_KFENCE is not set .*defconfig.*--config/));
    expect(notes).toContainEqual(expect.stringMatching(/^debug_pagealloc=on: no effect: CONFIG_DEBUG_PAGEALLOC is not set .*defconfig.*--config/));
    // With a .config that has them, they apply and nothing is noted about them.
    const dir = tmp();
    const config = join(dir, "config");
    writeFileSync(config, "CONFIG_KFENCE=y\nCONFIG_DEBUG_PAGEALLOC=y\nCONFIG_KEXEC_CORE=y\n");
    const withConfig = run("summary", "--memmap", M16, "--config", config, "--cmdline", "kfence.sample_interval=100 debug_pagealloc=on");
    expect(withConfig.code).toBe(0);
    expect(notesOf(withConfig.err)).toEqual([]);
    expect(withConfig.out).toMatch(/page-granular because: debug_pagealloc/);
  });

  it("3. --bbml2 all|boot before 6.18 is refused with the reason; on 6.18 it applies", () => {
    for (const v of ["all", "boot"]) {
      const r = run("summary", "--memmap", M16, "--kernel", "6.1", "--bbml2", v);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^arm64-pgtable: --bbml2 ${v}: needs v6\\.18 .*a660194dd101.*kernel 6\\.1`));
    }
    const on618 = run("summary", "--memmap", M16, "--kernel", "6.18", "--bbml2", "all");
    expect(on618.code).toBe(0);
    expect(notesOf(on618.err)).toEqual([]);
    // rodata=on asks for no page mappings: BBML2 then changes nothing, and says so.
    expect(notesOf(run("summary", "--memmap", M16, "--kernel", "6.18", "--bbml2", "all", "--cmdline", "rodata=on").err))
      .toContainEqual(expect.stringMatching(/^--bbml2 all: no effect: nothing asks for page mappings/));
  });

  it("4. --crash-shrink without a crashkernel; --kexec-loaded on 6.4+ or without a crashkernel", () => {
    expect(notesOf(run("summary", "--memmap", M8, "--crash-shrink", "128M").err)).toEqual([
      "--crash-shrink 128M: no effect: there is no crashkernel reservation to shrink",
    ]);
    expect(notesOf(run("summary", "--memmap", M8, "--kernel", "6.12", "--kexec-loaded", "--cmdline", "crashkernel=256M").err))
      .toContainEqual(expect.stringMatching(/^--kexec-loaded: no effect on kernel 6\.12: .*arch_kexec_protect_crashkres\(\) from v6\.4/));
    expect(notesOf(run("summary", "--memmap", M8, "--kernel", "6.1", "--kexec-loaded").err)).toEqual([
      "--kexec-loaded: no effect: there is no crashkernel reservation to protect",
    ]);
    // Where it applies, no note.
    expect(notesOf(run("summary", "--memmap", M8, "--kernel", "6.1", "--kexec-loaded", "--cmdline", "crashkernel=256M").err)).toEqual([]);
  });

  it("5. crash-options --crash-strategy compares the release's own handling with that strategy", () => {
    const r = run("crash-options", "--memmap", M8, "--cmdline", "crashkernel=256M rodata=on", "--crash-strategy", "early-firmware");
    expect(r.code).toBe(0);
    const rows = r.out.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]);
    expect(rows).toEqual(["kernel", "early-firmware"]);
    expect(run("crash-options", "--memmap", M8, "--cmdline", "crashkernel=256M").out.trim().split("\n")).toHaveLength(5);
    // Without a crashkernel the strategy cannot apply: noted.
    const none = run("crash-options", "--memmap", M8, "--crash-strategy", "early-firmware");
    expect(notesOf(none.err)).toEqual(["--crash-strategy early-firmware: no effect: no crashkernel= on the command line"]);
    expect(notesOf(run("summary", "--memmap", M8, "--crash-strategy", "assume-1g-dma").err)).toEqual([
      "--crash-strategy assume-1g-dma: no effect: no crashkernel= on the command line",
    ]);
  });

  it("6. a DTS /chosen bootargs is the command line when --cmdline is not given, and noted as ignored when it is", () => {
    const dir = tmp();
    const dts = join(dir, "virt.dts");
    writeFileSync(dts, `/dts-v1/;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x2 0x0>;
	};
	chosen {
		bootargs = "console=ttyAMA0 rodata=on";
	};
};
`);
    const fromDts = json("--memmap", dts);
    const given = json("--memmap", dts, "--cmdline", "rodata=on");
    const pages = json("--memmap", dts, "--cmdline", "rodata=full");
    expect(fromDts.tableBytes).toBe(given.tableBytes);
    expect(fromDts.tableBytes).toBeLessThan(pages.tableBytes);
    expect(fromDts.notes[0]).toBe('--memmap virt.dts: /chosen bootargs is the command line, as the kernel reads it: "console=ttyAMA0 rodata=on"');
    expect(pages.notes[0]).toMatch(/^--memmap virt\.dts: \/chosen bootargs "console=ttyAMA0 rodata=on" is ignored: --cmdline replaces it/);
  });

  it("7. crashkernel=512M against an iomem whose \"Crash kernel\" is 256M: the disagreement and which is used", () => {
    const iomem = join(QEMU, "8G-crashkernel-256M", "iomem.txt");
    const j = json("--memmap", iomem, "--cmdline", "crashkernel=512M");
    expect(j.notes).toEqual([
      expect.stringMatching(/^crashkernel=512M asks for 512 MiB but --memmap iomem\.txt has "Crash kernel" 0x[0-9a-f]+\+256 MiB: the memory map's reservation is used/),
    ]);
    expect(j.crashkernel.size).toBe(256 * 2 ** 20);
    // The same "Crash kernel" without crashkernel= is ignored, and says so.
    expect(json("--memmap", iomem).notes).toEqual([expect.stringMatching(/^--memmap iomem\.txt: "Crash kernel" 0x[0-9a-f]+\+256 MiB is ignored: .*no crashkernel=/)]);
  });

  it("8. the memory-map parsers' notes are printed and in the JSON", () => {
    const bootlog = json("--memmap", join(MEMMAPS, "kunpeng920-d06.bootlog"));
    expect(bootlog.notes).toContainEqual(expect.stringMatching(/^--memmap kunpeng920-d06\.bootlog: .*range lines touch .*NOMAP, which the log does not show/));
    const dts = json("--memmap", join(MEMMAPS, "qemu-virt-8g.dts"));
    expect(dts.notes).toContainEqual(expect.stringMatching(/^--memmap qemu-virt-8g\.dts: line \d+: reserved-memory\/linux,cma .*not modelled/));
  });

  it("9. demo boots as summary does: the same tables for the same machine", () => {
    const r = run("demo", "--size", "16G", "--pa", "0x40000000");
    expect(r.code).toBe(0);
    const row = (name: RegExp) => {
      const line = r.out.split("\n").find((l) => name.test(l))!;
      const m = /(\d+) \/ (\d+) \/ (\d+)\s+([\d,]+) KiB\s+([\d,]+)/.exec(line)!;
      return { tables: { pud: Number(m[1]), pmd: Number(m[2]), pte: Number(m[3]) }, tableBytes: Number(m[4].replace(/,/g, "")) * 1024 };
    };
    for (const [name, cmdline] of [[/^blocks/, "rodata=on"], [/^page by page/, "rodata=full"]] as const) {
      const s = JSON.parse(run("summary", "--memmap", M16, "--cmdline", cmdline, "--json").out);
      expect(row(name)).toEqual({ tables: s.tables, tableBytes: s.tableBytes });
    }
    // The kernel alias is there: 16 KiB with blocks, 8180 PTE tables page by page (not 4 KiB and 8192).
    expect(row(/^blocks/).tableBytes).toBe(16 * 1024);
    expect(row(/^page by page/).tables.pte).toBe(8180);
  });

  it("10. crash-options labels leaves by the granule's sizes", () => {
    const leaves = (granule: string) => {
      const r = run("crash-options", "--memmap", M16, "--cmdline", "rodata=on", "--granule", granule);
      expect(r.code).toBe(0);
      return r.out.split("\n")[1];
    };
    const k64 = leaves("64k");
    expect(k64).toMatch(/\d+ x 512M/);
    expect(k64).toMatch(/\d+ x 64K/);
    expect(k64).not.toMatch(/ x (1G|2M|4K)\b/);
    expect(k64).not.toMatch(/in (32M|64K) CONT/);
    const k16 = leaves("16k");
    expect(k16).toMatch(/\d+ x 32M.*\d+ x 16K/);
    expect(k16).not.toMatch(/ x (1G|2M|4K)\b/);
    expect(leaves("4k")).toMatch(/\d+ x 1G, \d+ x 2M \(\d+ in 32M CONT groups\), \d+ x 4K \(\d+ in 64K CONT groups\)/);
  });

  it("11. the sweep report does not print its leaf counts as /proc/meminfo DirectMap lines", async () => {
    const report = await runSweep({ sizes: [1n << 30n], layouts: ["one-bank"], policies: ["blocks"], workers: 0 });
    const md = toMarkdown(report, []);
    expect(md).not.toMatch(/DirectMap\w*:/);
    expect(md).not.toMatch(/as \/proc\/meminfo's DirectMap lines count them on arm64/);
    expect(md).toMatch(/arm64's \/proc\/meminfo has no DirectMap lines/);
    expect(md).toMatch(/simulator's (own )?count/);
  });

  it("12. diff against a whole real kernel_page_tables compares the Linear Mapping sections unless --all-sections", () => {
    const dir = join(QEMU, "8G-default");
    const real = join(dir, "ptdump.txt");
    const model = join(tmp(), "model.txt");
    const p = run("ptdump", "--memmap", join(dir, "iomem.txt"), "--kernel", "6.1.192", "--cmdline", readFileSync(join(dir, "cmdline.txt"), "utf8"), "-o", model);
    expect(p.code).toBe(0);
    const d = run("diff", real, model);
    const lines = d.out.trim().split("\n");
    const entries = lines.slice(0, -1);
    // Only the runtime read-only islands inside the linear map remain.
    for (const l of entries) expect(l).toMatch(/^0xffff[0-7][0-9a-f]{11}-0xffff[0-7][0-9a-f]{11}: /);
    expect(entries.length).toBeLessThan(10);
    expect(lines.at(-1)).toMatch(/only in .*ptdump\.txt \(0\)/);
    expect(notesOf(d.err)).toEqual([expect.stringMatching(/^diff: .*ptdump\.txt: only its Linear Mapping section is compared; \d+ lines of Modules, .* are left out \(--all-sections compares them\)/)]);
    const all = run("diff", "--all-sections", real, model);
    expect(all.code).toBe(1);
    expect(all.out.trim().split("\n").length).toBeGreaterThan(entries.length + 50);
    expect(all.err).toBe("");
  });

  it("13. summary --json has notes and the crashkernel placement", () => {
    const plain = json("--memmap", M8);
    expect(plain.notes).toEqual([]);
    expect(plain.crashkernel).toBeUndefined();
    const ck = json("--memmap", M8, "--cmdline", "crashkernel=256M");
    expect(ck.crashkernel).toEqual({ start: expect.stringMatching(/^0x[0-9a-f]+$/), size: 256 * 2 ** 20 });
    const start = BigInt(ck.crashkernel.start);
    expect(start >= 0x4000_0000n && start + (256n << 20n) <= 0x4000_0000n + (8n << 30n)).toBe(true);
  });
});
