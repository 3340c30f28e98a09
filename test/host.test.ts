/**
 * `arm64-pgtable host --root DIR` on copies of real machines: each tree is built from a QEMU capture
 * of Debian's 6.12.117 kernel (test/fixtures/qemu/6.12/<capture>/) laid out as the files a running
 * kernel shows, and the CLI is run on it as a user would (dist/, a child process).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const QEMU = join(ROOT, "test", "fixtures", "qemu");
const TMP = mkdtempSync(join(tmpdir(), "pgtable-host-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface TreeOptions {
  /** Leave these files out (paths relative to the root). */
  without?: string[];
  /** Replace these files' text. */
  replace?: Record<string, string>;
}

let trees = 0;

/** A --root tree from capture `set/name`: proc/iomem, proc/cmdline, osrelease, proc/version, boot/config-*, kernel_page_tables. */
function tree(set: string, name: string, o: TreeOptions = {}): string {
  const cap = join(QEMU, set, name);
  const root = join(TMP, `${trees++}-${set}-${name}`);
  const uname = readFileSync(join(cap, "uname.txt"), "utf8").trim();
  const cfg = readdirSync(join(QEMU, set)).find((f) => f.startsWith("config-") && f.endsWith(".relevant"));
  if (!cfg) throw new Error(`${set}: no config-*.relevant`);
  const version = /Linux version .*/.exec(readFileSync(join(cap, "dmesg.txt"), "utf8"));
  if (!version) throw new Error(`${set}/${name}: no "Linux version" line in dmesg.txt`);
  const files: Record<string, () => string> = {
    "proc/iomem": () => readFileSync(join(cap, "iomem.txt"), "utf8"),
    "proc/cmdline": () => readFileSync(join(cap, "cmdline.txt"), "utf8"),
    "proc/sys/kernel/osrelease": () => `${uname}\n`,
    "proc/version": () => `${version[0]}\n`,
    [`boot/config-${uname}`]: () => readFileSync(join(QEMU, set, cfg), "utf8"),
    "sys/kernel/debug/kernel_page_tables": () => readFileSync(join(cap, "ptdump.txt"), "utf8"),
  };
  for (const [rel, text] of Object.entries(files)) {
    if (o.without?.includes(rel)) continue;
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), o.replace?.[rel] ?? text());
  }
  for (const [rel, text] of Object.entries(o.replace ?? {})) {
    if (rel in files) continue;
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function host(root: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "host", "--root", root, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr, notes: r.stderr.split("\n").filter((l) => l.startsWith("note: ")) };
}

/** The Linear Mapping section of a whole kernel_page_tables file. */
function linearSection(text: string): string {
  const lines = text.split("\n");
  return `${lines.slice(lines.indexOf("---[ Linear Mapping start ]---"), lines.indexOf("---[ Linear Mapping end ]---") + 1).join("\n")}\n`;
}

/** The text between the prediction header and the next blank line. */
function predictionOf(out: string): string {
  const m = /^## prediction: .*\n([\s\S]*?)\n\n## diff/m.exec(out);
  if (!m) throw new Error(`no prediction in:\n${out}`);
  return `${m[1]}\n`;
}

const S612 = "6.12";
const captured = (name: string) => join(QEMU, S612, name);

describe("arm64-pgtable host --root (Debian 6.12.117 captures under QEMU virt)", () => {
  it("the captures the tests use are there", () => {
    for (const name of ["8G-rodata-on", "8G-rodata-off", "2G-rodata-off", "8G-default", "8G-kaslr"]) {
      for (const f of ["iomem.txt", "cmdline.txt", "uname.txt", "dmesg.txt", "ptdump.txt"]) expect(existsSync(join(captured(name), f)), `${name}/${f}`).toBe(true);
    }
  });

  for (const name of ["8G-rodata-on", "8G-rodata-off", "2G-rodata-off"]) {
    it(`${name}: the prediction equals the real dump, exit 0`, () => {
      const r = host(tree(S612, name));
      expect(r.err.split("\n").filter((l) => l !== "" && !l.startsWith("note: "))).toEqual([]);
      expect(r.code).toBe(0);
      expect(predictionOf(r.out)).toBe(linearSection(readFileSync(join(captured(name), "ptdump.txt"), "utf8")));
      expect(r.out).toMatch(/^## diff: the prediction against .*kernel_page_tables \(Linear Mapping\)\nno differences\n/m);
      // The costs, as summary prints them.
      expect(r.out).toMatch(/^## costs\nkernel 6\.12\.117 \(rules of the 6\.12 line;/m);
      expect(r.out).toMatch(/^tables: \d+ PUD, \d+ PMD, \d+ PTE = \d+ bytes$/m);
      expect(r.out).toMatch(/^mapped: \d+ bytes$/m);
      // The VA size is read off the dump: 48-bit PAGE_OFFSET, so no LPA2 (Debian's config asks for 52).
      expect(r.notes.some((n) => /Linear Mapping starts at 0xffff000000000000, PAGE_OFFSET for 48-bit VAs: the CPU lacks FEAT_LPA2/.test(n))).toBe(true);
      expect(r.notes.some((n) => /runtime islands/.test(n))).toBe(false);
    });
  }

  it("8G-default (rodata=full): the module islands made after boot are listed as differences, exit 1", () => {
    const r = host(tree(S612, "8G-default"));
    expect(r.code).toBe(1);
    const diff = /^## diff: .*\n([\s\S]*?)\n\n## costs/m.exec(r.out)![1].split("\n");
    const entries = diff.slice(0, -1);
    expect(entries.length).toBeGreaterThan(0);
    // Each is a run of pages the prediction has RW and the running kernel has made ro, printed as `diff` does.
    for (const e of entries) expect(e).toMatch(/^0x[0-9a-f]{16}-0x[0-9a-f]{16}: prediction maps (\d+K) PTE RW, kernel maps \1 PTE ro$/);
    expect(diff[diff.length - 1]).toMatch(new RegExp(`^${entries.length} differences?: ${entries.length} changed .*0 only in prediction \\(0\\), 0 only in kernel \\(0\\)$`));
    const note = r.notes.find((n) => /runtime islands are expected differences: the prediction is the boot-time map/.test(n));
    expect(note).toContain(`${entries.length} of the ${entries.length} differences look like that`);
    // The prediction is the boot-time map: nothing copied from the real dump.
    const real = linearSection(readFileSync(join(captured("8G-default"), "ptdump.txt"), "utf8"));
    expect(predictionOf(r.out)).not.toBe(real);
    expect(predictionOf(r.out).split("\n").length).toBeLessThan(real.split("\n").length);
  });

  it("8G-default --json: the same diff and costs, with the notes", () => {
    const r = host(tree(S612, "8G-default"), "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.release).toBe("6.12.117+deb13-arm64");
    expect(j.kernel).toBe("6.12.117");
    expect(j.cpu).toEqual({ lpa2: false, lva: false, e0pd: false });
    expect(j.kaslrOffset).toBeNull();
    expect(j.diff.equal).toBe(false);
    expect(j.diff.islands).toBe(j.diff.differences.length);
    expect(j.diff.differences[0]).toMatchObject({ kind: "changed", text: expect.stringMatching(/prediction maps \d+K PTE RW, kernel maps/) });
    expect(j.costs.tables).toEqual({ pud: expect.any(Number), pmd: expect.any(Number), pte: expect.any(Number) });
    expect(j.costs.mappedBytes).toBe(8 * 2 ** 30);
    expect(j.notes).toEqual(r.notes.map((n) => n.slice("note: ".length)));
    expect(j.prediction).toMatch(/^---\[ Linear Mapping start \]---\n/);
  });

  it("8G-kaslr: the KASLR offset is read off the real dump and named in a note", () => {
    const dump = readFileSync(join(captured("8G-kaslr"), "ptdump.txt"), "utf8");
    expect(readFileSync(join(captured("8G-kaslr"), "cmdline.txt"), "utf8")).not.toMatch(/\bnokaslr\b/);
    // RAM starts at 0x40000000 = memstart_addr: without KASLR its first page is PAGE_OFFSET.
    const first = /^(0x[0-9a-f]{16})-0x[0-9a-f]{16} +\S+ +(PTE|PMD|PUD) +\S/m.exec(linearSection(dump))!;
    const offset = BigInt(first[1]) - 0xffff000000000000n;
    expect(offset).toBeGreaterThan(0n);
    const r = host(tree(S612, "8G-kaslr"));
    const note = r.notes.find((n) => n.includes("KASLR"));
    expect(note).toContain(`KASLR offset 0x${offset.toString(16)} is used`);
    expect(r.out).toContain(`(KASLR offset 0x${offset.toString(16)})`);
    // KASLR forces KPTI on this CPU (no E0PD): the prediction's mappings are non-global, as the kernel's.
    expect(predictionOf(r.out)).toMatch(/ NG /);
    // rodata=full: module islands remain the only differences.
    expect(r.code).toBe(1);
    const entries = /^## diff: .*\n([\s\S]*?)\n\n## costs/m.exec(r.out)![1].split("\n").slice(0, -1);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e).toMatch(/prediction maps (\d+[KM]) PTE RW, kernel maps \1 PTE ro$/);
  });

  it("without kernel_page_tables: a note that the comparison was not possible, exit 0", () => {
    const r = host(tree(S612, "8G-rodata-on", { without: ["sys/kernel/debug/kernel_page_tables"] }));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^## diff: not possible: no readable .*kernel_page_tables$/m);
    expect(r.notes.some((n) => /kernel_page_tables: no such file: the prediction cannot be compared/.test(n))).toBe(true);
    // No dump to read the VA size from: the CPU is assumed to lack LPA2, and the prediction is the same.
    expect(r.notes.some((n) => /no real dump to read the VA size from: the CPU is assumed to lack FEAT_LPA2 \(--cpu-lpa2 says it has it\)/.test(n))).toBe(true);
    expect(predictionOf(r.out)).toBe(linearSection(readFileSync(join(captured("8G-rodata-on"), "ptdump.txt"), "utf8")));
  });

  it("without kernel_page_tables and without nokaslr: KASLR is assumed not to move the linear map", () => {
    const r = host(tree(S612, "8G-kaslr", { without: ["sys/kernel/debug/kernel_page_tables"] }));
    expect(r.code).toBe(0);
    expect(r.notes.some((n) => /KASLR is assumed not to move the linear map \(offset 0\)/.test(n))).toBe(true);
    expect(predictionOf(r.out)).toMatch(/^0xffff000000000000-/m);
  });

  it("--cpu-lpa2 overrides the dump: a 52-bit prediction, the disagreement noted, exit 1", () => {
    const r = host(tree(S612, "8G-rodata-on"), "--cpu-lpa2");
    expect(r.code).toBe(1);
    expect(r.notes.some((n) => /^note: --cpu-lpa2: the real dump disagrees .*48-bit VAs.*--cpu-lpa2 is followed$/.test(n))).toBe(true);
    expect(predictionOf(r.out)).toMatch(/^0xfff0000000000000-/m);
  });

  it("without /boot/config-<release>: a note that defconfig values are assumed", () => {
    const r = host(tree(S612, "8G-rodata-on", { without: ["boot/config-6.12.117+deb13-arm64", "sys/kernel/debug/kernel_page_tables"] }));
    expect(r.code).toBe(0);
    expect(r.notes.some((n) => /boot\/config-6\.12\.117\+deb13-arm64: no such file: arm64 defconfig values are assumed/.test(n))).toBe(true);
  });

  it("a Debian ABI release: the stable patch level comes from /proc/version", () => {
    const r = host(
      tree(S612, "8G-rodata-on", {
        without: ["boot/config-6.12.117+deb13-arm64", "sys/kernel/debug/kernel_page_tables"],
        replace: {
          "proc/sys/kernel/osrelease": "6.1.0-56-arm64\n",
          "proc/version": "Linux version 6.1.0-56-arm64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP Debian 6.1.192-2 (2026-11-16)\n",
        },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.notes.some((n) => /6\.1\.0-56-arm64: stable release 6\.1\.192 read from the Debian package version 6\.1\.192-2 in \/proc\/version/.test(n))).toBe(true);
    expect(r.out).toMatch(/^kernel 6\.1\.192 \(rules of the 6\.1 line;/m);
  });

  const required: Array<[string, string]> = [
    ["proc/iomem", "iomem"],
    ["proc/cmdline", "cmdline"],
    ["proc/sys/kernel/osrelease", "osrelease"],
  ];
  for (const [rel, what] of required) {
    it(`a missing ${what}: one line naming the file, exit 2, nothing on stdout`, () => {
      const root = tree(S612, "8G-rodata-on", { without: [rel] });
      const r = host(root);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err.trim()).toBe(`arm64-pgtable: host: ${join(root, rel)}: no such file`);
    });
  }

  it("a command-line parameter the model cannot judge: one line naming /proc/cmdline, exit 2", () => {
    const root = tree(S612, "8G-rodata-on", { replace: { "proc/cmdline": "console=ttyAMA0 nokaslr rodat=full\n" } });
    const r = host(root);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^arm64-pgtable: host: ${join(root, "proc/cmdline").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: rodat=full: unknown parameter`));
  });

  it("an iomem read without root (all addresses 0): one line, exit 2", () => {
    const iomem = readFileSync(join(captured("8G-rodata-on"), "iomem.txt"), "utf8").replace(/^(\s*)[0-9a-f]+-[0-9a-f]+ :/gim, "$100000000-00000000 :");
    const r = host(tree(S612, "8G-rodata-on", { replace: { "proc/iomem": iomem } }));
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/proc\/iomem: every address reads 0 .*run as root/);
  });
});

describe("arm64-pgtable host --root on Debian 7.3.4 (its data/bss alias from /proc/kallsyms)", () => {
  const kallsyms = () => readFileSync(join(QEMU, "7.3", "2G-default", "kernel-syms.txt"), "utf8");
  const diffOf = (out: string) => /^## diff: .*\n([\s\S]*?)\n\n## costs/m.exec(out)![1].split("\n").slice(0, -1);

  it("with /proc/kallsyms: [__init_end, __bss_stop) invalid as the kernel has it; only the runtime islands differ", () => {
    const r = host(tree("7.3", "2G-default", { replace: { "proc/kallsyms": kallsyms() } }));
    expect(r.code).toBe(1);
    const entries = diffOf(r.out);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e).toMatch(/prediction maps (\d+[KM]) PTE RW, kernel maps \1 PTE ro$/);
    // kernel-syms.txt: __init_end 0xffff800082b00000, __bss_stop 0xffff80008321e000 (_text 0xffff800080000000 at PA 0x40200000).
    expect(predictionOf(r.out)).toContain("0xffff000002d00000-0xffff00000341e000        7288K PTE F     RW NX SHD AF NG         UXN    MEM/NORMAL-TAGGED\n");
    expect(r.notes.join("\n")).not.toMatch(/__bss_stop not known/);
  });

  it("without it: the alias is taken to _end, said in a note, and that tail differs", () => {
    const r = host(tree("7.3", "2G-default"));
    expect(r.notes.join("\n")).toMatch(/__bss_stop not known/);
    expect(diffOf(r.out)).toContain("0xffff00000341e000-0xffff000003440000: prediction maps 136K PTE F NG, kernel maps 136K PTE");
  });

  it("a /proc/kallsyms read without root (addresses 0): a note, iomem's bounds are used", () => {
    const zeros = kallsyms().replace(/^[0-9a-f]{16}/gm, "0000000000000000");
    const r = host(tree("7.3", "2G-default", { replace: { "proc/kallsyms": zeros } }));
    expect(r.notes.join("\n")).toMatch(/proc\/kallsyms: _text is 0: .*root.*: the image's section bounds are taken from iomem/);
  });
});
