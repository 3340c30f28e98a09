/** `arm64-pgtable tlb` as a user runs it: hand-derived counts, traces, and one-line refusals. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as run } from "./run-cli.js";



// 1 GiB at 0x40000000 page by page (rodata=full): its linear map starts at PAGE_OFFSET.
const MACHINE = ["--memmap", "1G@0x40000000", "--cmdline", "rodata=full", "--core", "cortex-a53"];
const PAGE_OFFSET = 0xffff_0000_0000_0000n;

describe("arm64-pgtable tlb", () => {
  it("counts what a Cortex-A53 does on 1000 pages read in order (by hand)", () => {
    const r = run("tlb", ...MACHINE, "--workload", "seq:4K", "--accesses", "1000", "--json");
    expect(r.code).toBe(0);
    const row = JSON.parse(r.out).rows[0];
    // Every access is a new page: both TLB levels miss, 1000 walks. The A53's walk cache holds PMD
    // entries: the first walk into each 2 MiB reads PGD, PUD, PMD, PTE (4), the others the PTE only
    // (1). 1000 pages span two 2 MiB regions: 2 x 4 + 998 x 1 = 1006 references, 998 hits.
    expect(row.counts).toEqual({
      accesses: 1000,
      walks: 1000,
      walkRefs: 1006,
      faults: 0,
      walkCacheLookups: 1000,
      walkCacheHits: 998,
      levels: [
        { name: "L1D", lookups: 1000, misses: 1000 },
        { name: "L2", lookups: 1000, misses: 1000 },
      ],
    });
    expect(row.metrics.mpki.map((m: { value: number }) => m.value)).toEqual([1000, 1000]);
    // Cycles: 1000 L1 misses x 3 (the A53 preset's L2) + 1006 references x 20.
    expect(row.metrics.cycles).toBe(1000 * 3 + 1006 * 20);
  });

  it("replays a trace, text or raw, as the same workload", () => {
    const dir = mkdtempSync(join(tmpdir(), "tlb-trace-"));
    const vas = Array.from({ length: 1000 }, (_, i) => PAGE_OFFSET + BigInt(i) * 4096n);
    writeFileSync(join(dir, "t.txt"), `# 1000 pages in order\n${vas.map((v) => `0x${v.toString(16)}`).join("\n")}\n`);
    writeFileSync(join(dir, "t.bin"), Buffer.from(BigUint64Array.from(vas).buffer));
    const counts = (workload: string) => JSON.parse(run("tlb", ...MACHINE, "--workload", workload, "--accesses", "1000", "--json").out).rows[0].counts;
    const generated = counts("seq:4K");
    expect(counts(`trace:${join(dir, "t.txt")}`)).toEqual(generated);
    expect(counts(`trace:${join(dir, "t.bin")}`)).toEqual(generated);
  });

  it("compares policies side by side: blocks need no walks where pages walk every time", () => {
    const r = run("tlb", "--memmap", "16G@0x40000000", "--workload", "uniform", "--accesses", "50000", "--compare-policies", "--json");
    expect(r.code).toBe(0);
    const rows = Object.fromEntries(JSON.parse(r.out).rows.map((x: { name: string; counts: { walks: number; accesses: number } }) => [x.name, x.counts]));
    expect(rows.pages.walks).toBeGreaterThan(0.99 * rows.pages.accesses);
    // 16 GiB of 1 GiB blocks are 16 L2 entries (the N1's L2 holds 1G): only the first touches walk.
    expect(rows.blocks.walks).toBeLessThan(100);
  });

  it("refuses bad input in one line, exit 2, and writes no output file", () => {
    const dir = mkdtempSync(join(tmpdir(), "tlb-bad-"));
    writeFileSync(join(dir, "bad.txt"), "0xffff000000000000\nnot-an-address\n");
    writeFileSync(join(dir, "short.bin"), Buffer.alloc(12));
    const out = join(dir, "out.json");
    const cases: [string[], RegExp][] = [
      [["--core", "pentium"], /--core.*pentium/],
      [["--workload", "zipf:-1"], /zipf needs an exponent above 0/],
      [["--workload", "ws:2G@0"], /beyond the 1G mapped/],
      [["--workload", "mix:0.5*uniform+zipf:1"], /WEIGHT\*WORKLOAD/],
      [["--workload", `trace:${join(dir, "bad.txt")}`], /bad\.txt: line 2: "not-an-address" is not a hex VA/],
      [["--workload", `trace:${join(dir, "short.bin")}`], /incomplete 8-byte VA/],
      [["--workload", `trace:${join(dir, "missing.txt")}`], /missing\.txt: no such file/],
      [["--accesses", "0"], /--accesses/],
      [["--latency", "l3=4"], /no level "l3"/],
      [["--trace-format", "raw"], /--trace-format raw: applies to a trace:FILE workload only/],
    ];
    for (const [args, message] of cases) {
      const r = run("tlb", ...MACHINE, ...args, "-o", out);
      expect(r.code, args.join(" ")).toBe(2);
      // One line (commander adds the command's help after its own errors of option syntax), no stack.
      expect(r.err.split("\n")[0], args.join(" ")).toMatch(message);
      expect(r.err, args.join(" ")).not.toMatch(/\n\s+at /);
      expect(existsSync(out), args.join(" ")).toBe(false);
    }
    const ok = run("tlb", ...MACHINE, "--accesses", "100", "--json", "-o", out);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).rows[0].counts.accesses).toBe(100);
  });
});

describe("traces", () => {
  it("a UTF-8 byte-order mark and CRLF lines are text; an endless line is refused at once", async () => {
    const { detectTraceFormat, streamTrace } = await import("../src/tlb/trace.js");
    const dir = mkdtempSync(join(tmpdir(), "tlb-bom-"));
    const text = "\ufeff" + ["0xffff000000001000", "ffff000000002000"].join("\r\n") + "\r\n";
    writeFileSync(join(dir, "bom.txt"), text);
    expect(detectTraceFormat(join(dir, "bom.txt"))).toBe("text");
    const got: bigint[] = [];
    streamTrace(join(dir, "bom.txt"), "text", 10, { values: (v) => got.push(...v) });
    expect(got).toEqual([0xffff000000001000n, 0xffff000000002000n]);
    writeFileSync(join(dir, "long.txt"), "0".repeat(3 << 20));
    const t0 = Date.now();
    expect(() => streamTrace(join(dir, "long.txt"), "text", 10, { values: () => {} })).toThrow(/line 1: .* is not a hex VA/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
