/** `--json` on the commands that print results: the same facts as their text. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli as run } from "./run-cli.js";

const QEMU = join(ROOT, "test", "fixtures", "qemu", "6.1");


describe("--json", () => {
  it("translate: PA = VA - PAGE_OFFSET + memstart in a mapped page; null in a hole", () => {
    const r = run("translate", "--memmap", "8G@0x40000000", "--json", "0xffff000000201234", "0xffff000300000000");
    expect(r.code).toBe(0);
    const [a, b] = JSON.parse(r.out);
    // 6.1's default is rodata=full: pages (level 3); RAM ends at 8 GiB, so 12 GiB in is a hole.
    expect(a).toMatchObject({ va: "0xffff000000201234", pa: "0x40201234", level: 3, fault: null });
    expect(b).toMatchObject({ pa: null, fault: "translation" });
    // The text form says the same.
    expect(run("translate", "--memmap", "8G@0x40000000", "0xffff000000201234").out).toBe("0xffff000000201234 0x40201234\n");
  });

  it("crash-options: one object per strategy, the crashkernel where the text puts it", () => {
    const args = ["crash-options", "--memmap", "8G@0x40000000", "--cmdline", "rodata=on crashkernel=256M"];
    const rows = JSON.parse(run(...args, "--json").out);
    expect(rows.map((r: { strategy: string }) => r.strategy)).toEqual(["kernel", "blocks-then-split", "early-firmware", "assume-1g-dma"]);
    const text = run(...args).out;
    for (const r of rows) {
      const line = text.split("\n").find((l) => l.startsWith(r.strategy))!;
      expect(line).toContain(r.crashkernel ? `${r.crashkernel.base}+${r.crashkernel.bytes / 2 ** 20}M` : "none");
      expect(line).toContain(`${r.tables.pud}/${r.tables.pmd}/${r.tables.pte}`);
    }
  });

  it("demo: blocks and pages rows with their table bytes", () => {
    const rows = JSON.parse(run("demo", "--size", "4G", "--json").out);
    expect(rows.map((r: { cmdline: string }) => r.cmdline)).toEqual(["rodata=on", "rodata=full"]);
    expect(rows[1].tableBytes).toBeGreaterThan(rows[0].tableBytes);
  });

  it("diff: the differing ranges, exit 1", () => {
    const r = run("diff", join(QEMU, "8G-rodata-on", "ptdump.txt"), join(QEMU, "8G-default", "ptdump.txt"), "--json");
    expect(r.code).toBe(1);
    const d = JSON.parse(r.out);
    expect(d.entries[0]).toMatchObject({ start: "0xffff000000000000", a: { level: "PMD" }, b: { level: "PTE" } });
  });
});

describe("summary with five levels", () => {
  it("counts the P4D table below the PGD (4K pages, 52-bit VAs with LPA2)", () => {
    const r = run("summary", "--memmap", "8G@0x40000000", "--kernel", "6.12", "--va-bits", "52", "--cpu-lpa2", "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    // One P4D and one PUD table for the linear map's first 256 TiB; 8 PMD tables for 8 GiB.
    expect([s.tables.p4d, s.tables.pud, s.tables.pmd]).toEqual([1, 1, 8]);
    expect(s.tableBytes).toBe((s.tables.p4d + s.tables.pud + s.tables.pmd + s.tables.pte) * 4096);
  });
});
