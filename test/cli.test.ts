/** The command line as a user runs it: real outputs, exit codes, one-line errors, no partial files. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, runCli as run } from "./run-cli.js";

const QEMU = join(ROOT, "test", "fixtures", "qemu", "6.1");


function linearSection(text: string): string {
  const lines = text.split("\n");
  return `${lines.slice(lines.indexOf("---[ Linear Mapping start ]---"), lines.indexOf("---[ Linear Mapping end ]---") + 1).join("\n")}\n`;
}

describe("arm64-pgtable CLI", () => {
  it("ptdump reproduces a real kernel's linear map (6.1.192, 8 GiB, rodata=on)", () => {
    const dir = join(QEMU, "8G-rodata-on");
    const r = run("ptdump", "--memmap", join(dir, "iomem.txt"), "--kernel", "6.1.192", "--cmdline", readFileSync(join(dir, "cmdline.txt"), "utf8"));
    expect(r.code).toBe(0);
    expect(r.out).toBe(linearSection(readFileSync(join(dir, "ptdump.txt"), "utf8")));
  });

  it("summary --json counts tables and leaves (8 GiB at 1 GiB, rodata=on, Debian 6.1's kernel layout)", () => {
    const r = run("summary", "--memmap", join(QEMU, "8G-rodata-on", "iomem.txt"), "--cmdline", "rodata=on", "--json");
    expect(r.code).toBe(0);
    // By hand: RAM [0x40000000, 0x240000000), kernel alias [0x40210000, 0x41860000).
    // First GiB: 2M block + 16 CONT pages below the alias; alias: 496 pages, 10 blocks (to 0x41800000),
    // 96 pages; after it 0x41860000-0x41a00000: 416 CONT pages; then 3 blocks to 0x42000000 and
    // 31 x 16 CONT blocks to 2 GiB. Above: 7 x 1G. Tables: 1 PUD, 1 PMD, 2 PTE.
    expect(JSON.parse(r.out)).toEqual({
      tables: { pud: 1, pmd: 1, pte: 2 },
      tableBytes: 4 * 4096,
      leaves: { pudBlocks: 7, pmdBlocks: 1 + 10 + 3 + 496, pmdCont: 496, ptes: 16 + 496 + 96 + 416, pteCont: 16 + 416 },
      mappedBytes: 8 * 2 ** 30,
      notes: [],
    });
  });

  it("translate agrees with the arithmetic of the linear map", () => {
    const r = run("translate", "--memmap", "8G@0x40000000", "0xffff000000001234", "0xffff0001ffffffff", "0xffff000200000000");
    expect(r.out).toBe("0xffff000000001234 0x40001234\n0xffff0001ffffffff 0x23fffffff\n0xffff000200000000 unmapped\n");
  });

  it("diff explains where two dumps differ, exit 1", () => {
    const a = join(QEMU, "8G-default", "ptdump.txt");
    const r = run("diff", a, a);
    expect(r.code).toBe(0);
    const d = run("diff", a, join(QEMU, "8G-rodata-on", "ptdump.txt"));
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/0xffff000000000000-0xffff000000200000: .* maps 2M PTE, .* maps 2M PMD BLK/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ["a missing file", ["ptdump", "--memmap", "/nonexistent/iomem"], /^arm64-pgtable: --memmap \/nonexistent\/iomem: no such file/],
    ["an end before its start", ["ptdump", "--memmap", "BAD"], /^arm64-pgtable: bad\.iomem:2: end 0x3fffffff is before start 0x80000000/],
    ["an unknown kernel", ["ptdump", "--memmap", "8G@0x40000000", "--kernel", "4.19"], /^arm64-pgtable: --kernel 4\.19: only releases/],
    ["an unknown option", ["ptdump", "--memmap", "8G@0x40000000", "--cmdline", "rodat=full"], /^arm64-pgtable: --cmdline: rodat=full: unknown parameter/],
    ["a map beyond the PA range", ["ptdump", "--memmap", "300T@0x40000000"], /beyond|above the 48-bit/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what}: one line, exit 2, no output file`, () => {
      const dir = mkdtempSync(join(tmpdir(), "pgtable-cli-"));
      const file = join(dir, "bad.iomem");
      writeFileSync(file, "40000000-7fffffff : System RAM\n80000000-3fffffff : System RAM\n");
      const out = join(dir, "out.txt");
      const r = run(...args.map((a) => (a === "BAD" ? file : a)), "-o", out);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
      expect(r.out).toBe("");
    });
  }

  it("ptdump of a 7.3 capture with --kernel-version alone and --kernel-symbols: the release and format /proc/version names", () => {
    const dir = join(ROOT, "test", "fixtures", "qemu", "7.3", "2G-rodata-off");
    const version = /Linux version .*/.exec(readFileSync(join(dir, "dmesg.txt"), "utf8"))![0];
    const cfg = join(ROOT, "test", "fixtures", "qemu", "7.3", "config-7.3.4+deb13-arm64.relevant");
    const r = run("ptdump", "--memmap", join(dir, "iomem.txt"), "--kernel-version", version, "--config", cfg,
      "--kernel-symbols", join(dir, "kernel-syms.txt"), "--cmdline", readFileSync(join(dir, "cmdline.txt"), "utf8"));
    expect(r.err).not.toMatch(/--kernel 6\.1|__bss_stop not known/);
    expect(r.code).toBe(0);
    // rodata=off: no mark_rodata_ro(), so no module or BPF island and the data alias stays valid.
    expect(r.out).toBe(linearSection(readFileSync(join(dir, "ptdump.txt"), "utf8")));
    const demo = run("demo", "--help");
    expect([demo.code, demo.out]).toEqual([0, expect.stringContaining("(default: 16G)")]);
  });

  it("demo runs (npm start)", () => {
    const out = execFileSync(process.execPath, [CLI, "demo", "--size", "1G"], { encoding: "utf8" });
    // The boot model of summary: the kernel alias keeps 2M blocks, so 500 PTE tables, not 512.
    expect(out).toMatch(/page by page \(rodata=full\)\s+1 \/ 1 \/ 500 /);
  });
});
