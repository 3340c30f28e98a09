/** diffPtdump and its text, against hand-made dumps and hand-worked expectations. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, SET_MEMORY, pageKernel } from "../src/index.js";
import { diffPtdump, findSection, formatLinearMap, parsePtdump, renderPtdumpDiff } from "../src/ptdump/index.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const BLOCK = "RW NX SHD AF        BLK UXN    MEM/NORMAL";

// RAM 4M in two 2M blocks, then holes to 1T.
const A = `---[ Linear Mapping start ]---
0xffff000000000000-0xffff000000400000           4M PMD       ${BLOCK}
0xffff000000400000-0xffff000040000000        1020M PMD
0xffff000040000000-0xffff010000000000        1023G PUD
---[ Linear Mapping end ]---
`;

// The first 2M as pages, the second 2M gone, a 1G block at 1G, and PGD-level holes from 512G.
const B = `---[ Linear Mapping start ]---
0xffff000000000000-0xffff000000200000           2M PTE       RW NX SHD AF            UXN    MEM/NORMAL
0xffff000000200000-0xffff000040000000        1022M PMD
0xffff000040000000-0xffff000080000000           1G PUD       ${BLOCK}
0xffff000080000000-0xffff008000000000         510G PUD
0xffff008000000000-0xffff020000000000        1536G PGD
---[ Linear Mapping end ]---
`;

describe("diffPtdump on hand-made dumps", () => {
  const diff = diffPtdump(parsePtdump(A, "a.txt"), parsePtdump(B, "b.txt"));

  it("finds each kind of difference, aligned by address", () => {
    expect(diff.entries.map((e) => [e.start, e.end, e.kind, e.levelDiffers, e.attributesDiffer])).toEqual([
      // block vs pages: level and the BLK word differ
      [0xffff_0000_0000_0000n, 0xffff_0000_0020_0000n, "changed", true, true],
      // A's second block; B has an empty PMD there
      [0xffff_0000_0020_0000n, 0xffff_0000_0040_0000n, "only-a", false, true],
      // B's 1G block; A has an empty PUD there
      [0xffff_0000_4000_0000n, 0xffff_0000_8000_0000n, "only-b", false, true],
      // both map nothing, but A's hole is at PUD level and B's at PGD level
      [0xffff_0080_0000_0000n, 0xffff_0100_0000_0000n, "changed", true, false],
      // [1T, 2T): only B has lines (holes): nothing mapped either way, no difference
    ]);
    expect(diff.summary).toEqual({
      total: 4,
      changed: 2,
      onlyA: 1,
      onlyB: 1,
      bytes: { changed: (2n << 20n) + (512n << 30n), onlyA: 2n << 20n, onlyB: 1n << 30n },
    });
  });

  it("renders one line per difference and a summary", () => {
    expect(renderPtdumpDiff(diff, { pageSize: 4096n })).toBe(
      "0xffff000000000000-0xffff000000200000: A maps 2M PMD BLK, B maps 512 x 4K PTE\n" +
        "0xffff000000200000-0xffff000000400000: A maps 2M PMD RW NX SHD AF BLK UXN MEM/NORMAL, B maps nothing (empty PMD)\n" +
        "0xffff000040000000-0xffff000080000000: A maps nothing (empty PUD), B maps 1G PUD RW NX SHD AF BLK UXN MEM/NORMAL\n" +
        "0xffff008000000000-0xffff010000000000: A maps nothing (empty PUD), B maps nothing (empty PGD)\n" +
        "4 differences: 2 changed (524290M), 1 only in A (2M), 1 only in B (1G)\n",
    );
    expect(renderPtdumpDiff(diff, { labels: ["6.1", "6.12"] }).split("\n")[0]).toBe(
      "0xffff000000000000-0xffff000000200000: 6.1 maps 2M PMD BLK, 6.12 maps 2M PTE",
    );
  });

  it("says so when there is nothing to report", () => {
    const d = diffPtdump(parsePtdump(A), findSection(parsePtdump(A), "Linear Mapping")!);
    expect(d.entries).toEqual([]);
    expect(renderPtdumpDiff(d)).toBe("no differences\n");
  });

  it("tells where a dump has no line", () => {
    const cut = parsePtdump(A).lines.filter((l) => l.kind === "range").slice(0, 1);
    const d = diffPtdump(cut, parsePtdump(B));
    expect(renderPtdumpDiff(d).split("\n")[2]).toBe(
      "0xffff000040000000-0xffff000080000000: A has no line here, B maps 1G PUD RW NX SHD AF BLK UXN MEM/NORMAL",
    );
  });

  it("refuses overlapping lines", () => {
    const r = parsePtdump(A).lines.filter((l) => l.kind === "range");
    expect(() => diffPtdump([r[1], r[0]], r)).toThrow(RangeError);
  });
});

describe("diffPtdump on the fixture and an engine variant", () => {
  it("shows what mapping the kernel alias with the rest of RAM would change", () => {
    const fixture = readFileSync(new URL("./fixtures/ptdump/guest-1g-rodata-full-kpti.txt", import.meta.url), "utf8");
    // The same guest, but with the kernel image not carved out (no NOMAP alias, no read-only alias):
    // all RAM page by page, tagged, then the same read-only island.
    const pt = new WasmPageTable({ granule: 4, vaBits: 48 });
    const base = 0xffff_0000_0000_0000n;
    const flags = NO_EXEC_MAPPINGS | NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
    pt.map(base, 0x4000_0000n, 1n << 30n, pageKernel({ tagged: true, nG: true }), flags);
    pt.setMemory(base + 0x3a0_0000n, 2n << 20n, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "classic");
    const diff = diffPtdump(findSection(parsePtdump(fixture), "Linear Mapping")!, parsePtdump(formatLinearMap(pt, "6.1")));
    expect(renderPtdumpDiff(diff, { labels: ["real", "sim"], pageSize: 4096n })).toBe(
      "0xffff000000200000-0xffff000002200000: real maps 32M PMD ro BLK MEM/NORMAL, sim maps 8192 x 4K PTE RW MEM/NORMAL-TAGGED\n" +
        "0xffff000002200000-0xffff0000022c0000: real maps 192 x 4K PTE ro MEM/NORMAL, sim maps 192 x 4K PTE RW MEM/NORMAL-TAGGED\n" +
        "2 differences: 2 changed (33536K), 0 only in real (0), 0 only in sim (0)\n",
    );
  });
});
