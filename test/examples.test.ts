/** The runnable examples under examples/ run as written and print what the kernel's rules give. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

describe("examples/", () => {
  it("embed.mjs: 16 GiB at 1 GiB, with blocks and page by page", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "examples", "embed.mjs")], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    // Below the PGD (stats().tableBytes): blocks, 16 x 1G PUD blocks in one PUD table; pages, 1 PUD,
    // 16 PMD and 16 x 512 PTE tables = 8209. PA = 0x40000000 + the VA offset.
    expect(out.blocks).toMatchObject({ tableBytes: 1 * 4096, pa: "0x52345678", level: 1 });
    expect(out.pages).toMatchObject({ tableBytes: 8209 * 4096, pa: "0x52345678", level: 3 });
    // 16 GiB of 1G blocks fit a Neoverse N1's L2 TLB; 4 Mi pages do not.
    expect(out.blocks.walksPerKilo).toBeLessThan(1);
    expect(out.pages.walksPerKilo).toBeGreaterThan(100);
  });
});
