/**
 * The sweep: page-granular table bytes equal the arithmetic, layouts scale to the requested total,
 * report files are written whole, and the worker pool gives the numbers the main thread gives.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entrySize, geometry, type Granule } from "../src/geometry.js";
import { policyFor } from "../src/kernel/policy.js";
import { parseRelease } from "../src/kernel/release.js";
import { DEFAULT_KERNEL_LAYOUT } from "../src/scenario.js";
import { ALTRA_1S_32G_BOOTLOG, KUNPENG920_D06_BOOTLOG } from "../src/sweep/fixtures.js";
import { buildLayout, layoutShape, ONE_BANK_BASE, scaleLayout } from "../src/sweep/layouts.js";
import { type PointResult, type PointTask, runPoint } from "../src/sweep/point.js";
import { largestFirst, runPoints } from "../src/sweep/pool.js";
import { gateOver, newGateBuffer } from "../src/sweep/gate.js";
import { runSweep, writeSweepReport } from "../src/sweep/index.js";
import { writeFileAtomic } from "../src/sweep/write.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "test", "fixtures", "memmaps");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const K = 1n << 10n;
const M = 1n << 20n;
const G = 1n << 30n;
const T = 1n << 40n;

/**
 * The kernel-equivalent table bytes of one bank of `ram` bytes at 0x40000000, mapped page by page by
 * 6.1 (rodata=full), derived by hand:
 * - The bank starts at PAGE_OFFSET (0x40000000 is aligned to every table's span), so the k-th table
 *   of each level covers [k * span, (k+1) * span) of the bank.
 * - PTE tables: one per PMD entry the bank touches, ceil(ram / PMD_SIZE), less the PMD entries the
 *   kernel alias keeps as blocks: [_stext, __init_begin) (6.1 maps the alias from _stext) is mapped
 *   apart with blocks allowed, so every PMD-aligned block inside it has no PTE table. With
 *   DEFAULT_KERNEL_LAYOUT (_stext at 2 MiB + 64 KiB, 26 MiB of code) that is [4 MiB, 28 MiB): 12 at 4K;
 *   none at 16K (32 MiB PMD) and 64K (512 MiB).
 * - PMD tables: ceil(ram / PUD_SIZE) (a PMD table spans 1 GiB at 4K, 64 GiB at 16K, 4 TiB at 64K).
 * - PUD tables (4 levels: 4K and 16K at 48 bits): ceil(ram / (512 GiB at 4K, 128 TiB at 16K)).
 *   64K at 48 bits has 3 levels: its top table is the PMD's parent, the PGD, not counted.
 * So at 4K: ram/512 - 12 * 4 KiB + ceil(ram / 1G) * 4 KiB + ceil(ram / 512G) * 4 KiB;
 * at 16K: ram/2048 + ceil(ram / 64G) * 16 KiB + 16 KiB; at 64K: ram/8192 + ceil(ram / 4T) * 64 KiB
 * (ram a multiple of the PMD size; otherwise the PTE term rounds up to a whole table).
 */
function arithmetic(granule: Granule, ram: bigint): { pud: number; pmd: number; pte: number; bytes: bigint } {
  const g = geometry(granule, 48);
  const pmdSize = entrySize(g, 1);
  const ceil = (a: bigint, b: bigint) => (a + b - 1n) / b;
  const L = DEFAULT_KERNEL_LAYOUT;
  const text = L.textOffset;
  const stext = text + L.head;
  const initBegin = stext + L.code;
  const aliasStart = policyFor(parseRelease("6.1")).aliasStart === "_text" ? text : stext;
  const aliasBlocks = initBegin / pmdSize - ceil(aliasStart, pmdSize);
  const pte = ceil(ram, pmdSize) - (aliasBlocks > 0n ? aliasBlocks : 0n);
  const pmd = ceil(ram, entrySize(g, 2));
  const pud = g.levels >= 4 ? ceil(ram, entrySize(g, 3)) : 0n;
  return { pud: Number(pud), pmd: Number(pmd), pte: Number(pte), bytes: (pud + pmd + pte) * g.pageSize };
}

const policyOf: Record<Granule, string> = { 4: "pages", 16: "pages-16k", 64: "pages-64k" };

describe("page-granular table bytes equal the arithmetic (one bank)", () => {
  it("the formula at a glance: 4K, 16K, 64K", () => {
    expect(ONE_BANK_BASE).toBe(0x4000_0000n);
    expect(arithmetic(4, 256n * G)).toEqual({ pud: 1, pmd: 256, pte: 131072 - 12, bytes: (256n * G) / 512n - 12n * 4n * K + 256n * 4n * K + 4n * K });
    expect(arithmetic(16, 1n * T)).toEqual({ pud: 1, pmd: 16, pte: 32768, bytes: T / 2048n + 16n * 16n * K + 16n * K });
    expect(arithmetic(64, 64n * T)).toEqual({ pud: 0, pmd: 16, pte: 131072, bytes: (64n * T) / 8192n + 16n * 64n * K });
  });

  for (const [granule, sizes] of [
    [4, [1n * G, 16n * G, 256n * G, 1n * T, 5n * G + 6n * M]],
    [16, [1n * G, 64n * G, 1n * T, 65n * G + 32n * M]],
    [64, [1n * G, 16n * G, 4n * T, 5n * T + 512n * M]],
  ] as Array<[Granule, bigint[]]>) {
    it(`${granule}K pages at ${sizes.map((s) => `${s / M}M`).join(", ")}`, () => {
      for (const size of sizes) {
        const r = runPoint({ layout: "one-bank", policy: policyOf[granule], size: size.toString() });
        expect(r.error).toBeUndefined();
        const a = arithmetic(granule, size);
        expect(r.tables).toEqual({ pud: a.pud, pmd: a.pmd, pte: a.pte });
        expect(BigInt(r.tableBytes)).toBe(a.bytes);
        expect(r.mappedBytes).toBe(Number(size));
        expect(r.pageGranular).toBe(true);
        expect(r.warmMatches).toBe(true);
      }
    });
  }

  it("holds for any bank size (property, 4K/16K/64K up to 1 TiB)", () => {
    fc.assert(
      fc.property(fc.constantFrom<Granule>(4, 16, 64), fc.bigInt({ min: 16n, max: 16n * 1024n }), (granule, units) => {
        const size = units * 64n * M; // a multiple of 64 MiB, from 1 GiB to 1 TiB
        const r = runPoint({ layout: "one-bank", policy: policyOf[granule], size: size.toString() });
        const a = arithmetic(granule, size);
        expect(r.tables).toEqual({ pud: a.pud, pmd: a.pmd, pte: a.pte });
        expect(BigInt(r.tableBytes)).toBe(a.bytes);
      }),
      { numRuns: 25 },
    );
  });

  it("leaves and TLB entries: every page a leaf, the alias's blocks, no CONT", () => {
    const r = runPoint({ layout: "one-bank", policy: "pages", size: (16n * G).toString() });
    expect(r.directMap).toEqual({ pte: Number(16n * G - 12n * 2n * M), contPte: 0, pmd: Number(24n * M), contPmd: 0, pud: 0 });
    expect(r.directMapLabels).toEqual(["4K", "64K", "2M", "32M", "1G"]);
    expect(r.tlbEntries).toBe(Number((16n * G - 24n * M) / (4n * K)) + 12);
    // Blocks: 1 GiB blocks above the first GiB; a CONT group of 16 blocks is one TLB entry.
    const b = runPoint({ layout: "one-bank", policy: "blocks", size: (16n * G).toString() });
    expect(b.directMap.pud).toBe(Number(15n * G));
    expect(b.directMap.pte + b.directMap.contPte + b.directMap.pmd + b.directMap.contPmd + b.directMap.pud).toBe(Number(16n * G));
    expect(b.tlbEntries).toBeLessThan(1000);
  });
});

describe("layouts", () => {
  it("the embedded fixtures are the test fixtures, unchanged", () => {
    expect(KUNPENG920_D06_BOOTLOG).toBe(readFileSync(join(FIXTURES, "kunpeng920-d06.bootlog"), "utf8"));
    expect(ALTRA_1S_32G_BOOTLOG).toBe(readFileSync(join(FIXTURES, "altra-1s-32g.bootlog"), "utf8"));
  });

  it("the fixtures' runs: memblock-merged, nodes kept", () => {
    const k = layoutShape("kunpeng920");
    expect(k.map((r) => [r.nid, r.base, r.size])).toEqual([
      [0, 0n, 0x3fc0_0000n],
      [0, 0x4000_0000n, 64n * M],
      [0, 0x4403_0000n, 0x8000_0000n - 0x4403_0000n],
      [0, 0x20_8000_0000n, 30n * G],
      [1, 0x28_0000_0000n, 32n * G],
      [2, 0x2020_0000_0000n, 32n * G],
      [3, 0x2028_0000_0000n, 32n * G],
    ]);
    const a = layoutShape("altra");
    expect(a.map((r) => [r.base, r.size])).toEqual([
      [0x8830_0000n, 1n * M],
      [0x9000_0000n, 1792n * M],
      [0x800_0000_0000n, 2n * G],
      [0x801_0000_0000n, 28n * G],
    ]);
  });

  it("scaled to the fixture's own total, the fixture comes back", () => {
    for (const name of ["kunpeng920", "altra"] as const) {
      const runs = layoutShape(name);
      const total = runs.reduce((s, r) => s + r.size, 0n);
      expect(scaleLayout(runs, total)).toEqual(runs);
    }
  });

  const sizes = [1n * G, 4n * G, 3n * G + 64n * K, 64n * G, 131067n * M, 1n * T, 4n * T + 2n * M, 64n * T];
  for (const name of ["one-bank", "kunpeng920", "altra"] as const) {
    it(`${name} scales to the requested total exactly, holes kept, nodes in place`, () => {
      const shape = name === "one-bank" ? [] : layoutShape(name);
      for (const size of sizes) {
        const m = buildLayout(name, size);
        const total = m.memory.reduce((s, b) => s + b.size, 0n);
        expect(total).toBe(size);
        for (let i = 0; i < m.memory.length; i++) {
          const b = m.memory[i];
          expect(b.size % (64n * K)).toBe(0n);
          expect(b.base % (64n * K)).toBe(0n);
          if (i > 0) expect(b.base).toBeGreaterThanOrEqual(m.memory[i - 1].base + m.memory[i - 1].size); // sorted, no overlap
        }
        expect(m.memory[m.memory.length - 1].base + m.memory[m.memory.length - 1].size).toBeLessThanOrEqual(1n << 48n);
        // The kernel image lies inside one run.
        expect(m.memory.some((b) => m.kernel!.base >= b.base && m.kernelData!.base + m.kernelData!.size <= b.base + b.size)).toBe(true);
        if (name === "one-bank") {
          expect(m.memory).toEqual([{ base: ONE_BANK_BASE, size, nid: 0 }]);
          continue;
        }
        // Once every run fits (no fragment cut or dropped), run i is fixture run i moved up (never
        // down), with its node; fragments keep their size; holes never shrink.
        if (m.memory.length === shape.length) {
          const bulkOf = (nid: number) => shape.filter((r) => r.nid === nid).reduce((a, r) => (r.size > a.size ? r : a));
          m.memory.forEach((b, i) => {
            expect(b.nid).toBe(shape[i].nid);
            expect(b.base).toBeGreaterThanOrEqual(shape[i].base);
            if (shape[i] !== bulkOf(shape[i].nid)) expect([b.base, b.size]).toEqual([shape[i].base, shape[i].size]);
            if (i > 0) {
              const gapNow = b.base - (m.memory[i - 1].base + m.memory[i - 1].size);
              const gapThen = shape[i].base - (shape[i - 1].base + shape[i - 1].size);
              expect(gapNow).toBeGreaterThanOrEqual(gapThen);
            }
          });
        } else {
          expect(size).toBeLessThan(8n * G);
        }
        // Nodes keep their share of memory, within the rounding of a bulk to 2 MiB (plus what a
        // node too small for its fragments cannot hold).
        if (size >= 64n * G) {
          const fixtureTotal = shape.reduce((s, r) => s + r.size, 0n);
          for (const nid of new Set(shape.map((r) => r.nid))) {
            const want = (size * shape.filter((r) => r.nid === nid).reduce((s, r) => s + r.size, 0n)) / fixtureTotal;
            const got = m.memory.filter((b) => b.nid === nid).reduce((s, b) => s + b.size, 0n);
            const diff = got > want ? got - want : want - got;
            expect(diff).toBeLessThanOrEqual(4n * M);
          }
        }
      }
    });
  }

  it("Kunpeng at 64 TiB: nodes move up keeping their alignment; Altra's bulk grows in place", () => {
    const k = buildLayout("kunpeng920", 64n * T).memory;
    expect(k.map((b) => b.nid)).toEqual([0, 0, 0, 0, 1, 2, 3]);
    expect(k[4].base % (32n * G)).toBe(0n); // node 1 was at 160 GiB: 32 GiB aligned
    expect(k[5].base % (128n * G)).toBe(0n); // node 2 was at 0x202000000000: 128 GiB aligned
    const a = buildLayout("altra", 64n * T).memory;
    expect(a[3].base).toBe(0x801_0000_0000n);
    expect(a[3].size).toBe(64n * T - (1n * M + 1792n * M + 2n * G));
  });

  it("a layout too small for its fragments keeps them in order and drops its bulk", () => {
    const a = buildLayout("altra", 1n * G).memory;
    expect(a).toEqual([
      { base: 0x8830_0000n, size: 1n * M, nid: 0 },
      { base: 0x9000_0000n, size: 1023n * M, nid: 0 },
    ]);
  });
});

describe("report files", () => {
  it("writeFileAtomic replaces a file whole and leaves no temporary file when it fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "sweep-atomic-"));
    const f = join(dir, "x.txt");
    writeFileAtomic(f, "old");
    writeFileAtomic(f, "new content");
    expect(readFileSync(f, "utf8")).toBe("new content");
    // Renaming over a directory fails: the error surfaces, the temporary file is gone.
    mkdirSync(join(dir, "d"));
    writeFileSync(join(dir, "d", "keep"), "k");
    expect(() => writeFileAtomic(join(dir, "d"), "text")).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["d", "x.txt"]);
  });

  it("writes JSON, CSV, markdown and SVG plots (atomically) for a small sweep", async () => {
    const report = await runSweep({ sizes: [1n * G, 4n * G], layouts: ["one-bank", "altra"], policies: ["blocks", "pages", "pages-64k"], workers: 0 });
    const dir = join(mkdtempSync(join(tmpdir(), "sweep-report-")), "out");
    const files = await writeSweepReport(report, dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(["build-time.svg", "descriptors.svg", "sweep.csv", "sweep.json", "sweep.md", "table-bytes.svg"]);
    expect(readdirSync(dir).some((f) => f.endsWith(".tmp"))).toBe(false);
    for (const svg of ["table-bytes.svg", "descriptors.svg", "build-time.svg"]) {
      const text = readFileSync(join(dir, svg), "utf8");
      expect(text.startsWith("<svg")).toBe(true);
      expect(text.trimEnd().endsWith("</svg>")).toBe(true);
      expect(text).toContain("pages-64k"); // the legend
    }
    const json = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8"));
    expect(json.points).toHaveLength(12);
    expect(json.points).toEqual(JSON.parse(JSON.stringify(report.points)));
    const csv = readFileSync(join(dir, "sweep.csv"), "utf8").trimEnd().split("\n");
    expect(csv).toHaveLength(13);
    expect(csv[0].split(",").slice(0, 4)).toEqual(["layout", "policy", "kernel", "cmdline"]);
    const pagesRow = csv.find((l) => l.startsWith("one-bank,pages,6.1,,4,1G,"))!;
    expect(pagesRow).toBeDefined();
    const head = csv[0].split(",");
    expect(Number(pagesRow.split(",")[head.indexOf("table_bytes")])).toBe(Number(arithmetic(4, 1n * G).bytes));
    const md = readFileSync(join(dir, "sweep.md"), "utf8");
    expect(md).toContain("## Check (a): 256 GiB");
    expect(md).toContain("516,148 kB");
    expect(md).toContain("## Check (b)");
    expect(md).toContain("![table-bytes.svg](table-bytes.svg)");
    // The 256 GiB check: the measured difference implies a RAM size whose simulated difference matches.
    const a = report.checks.at256;
    if ("error" in a) throw new Error(a.error);
    expect(a.simulatedDiffKb).toBe(525_252);
    expect(a.impliedDiffKb).toBeGreaterThanOrEqual(516_148);
    expect(a.impliedRamBytes).toBeLessThan(256 * 2 ** 30);
  });

  it("the CLI writes the report to --out and prints the table", () => {
    const out = join(mkdtempSync(join(tmpdir(), "sweep-cli-")), "r");
    const r = spawnSync(process.execPath, [CLI, "sweep", "--sizes", "1G", "--layouts", "one-bank", "--policies", "blocks,pages", "--workers", "1", "--out", out], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/one-bank\s+pages\s+1G\s+1\/1\/500\s/);
    expect(existsSync(join(out, "sweep.md"))).toBe(true);
    const bad = spawnSync(process.execPath, [CLI, "sweep", "--layouts", "nowhere"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
  });
});

describe("the worker pool", () => {
  // Timings differ from run to run, and a recycled engine's wasm memory is its thread's high-water mark.
  const strip = (r: PointResult) => ({ ...r, coldMs: 0, warmMs: 0, memory: { ...r.memory, wasmMemoryBytes: 0 } });

  it("largest points first", () => {
    const tasks: PointTask[] = [
      { layout: "one-bank", policy: "pages", size: String(1n * G) },
      { layout: "one-bank", policy: "blocks", size: String(64n * T) },
      { layout: "one-bank", policy: "pages", size: String(1n * T) },
      { layout: "one-bank", policy: "pages-64k", size: String(1n * T) },
    ];
    expect(largestFirst(tasks).map((t) => `${t.policy}/${t.size}`)).toEqual([
      `pages/${1n * T}`, `pages-64k/${1n * T}`, `pages/${1n * G}`, `blocks/${64n * T}`,
    ]);
  });

  it("the gate: sections release on return and on throw; an abandoned gate is taken back", () => {
    const lock = newGateBuffer();
    const gate = gateOver(lock, 50);
    expect(gate.exclusive(() => Atomics.load(lock, 0))).toBe(-1);
    expect(gate.shared(() => gate.shared(() => Atomics.load(lock, 0)))).toBe(2);
    expect(() => gate.exclusive(() => { throw new Error("boom"); })).toThrow("boom");
    expect(Array.from(lock)).toEqual([0, 0]);
    // A thread that died holding the gate exclusively: the next waiter resets it after staleMs.
    Atomics.store(lock, 0, -1);
    const t0 = performance.now();
    expect(gate.shared(() => "in")).toBe("in");
    expect(gate.exclusive(() => "alone")).toBe("alone");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(Array.from(lock)).toEqual([0, 0]);
  });

  it("gives the numbers the main thread gives, and records a failed point", async () => {
    const tasks: PointTask[] = [];
    for (const layout of ["one-bank", "kunpeng920", "altra"] as const) {
      for (const policy of ["pages", "crash-split", "carveout-5.10", "pages-16k"]) {
        for (const size of [1n * G, 64n * G]) tasks.push({ layout, policy, size: size.toString() });
      }
    }
    tasks.push({ layout: "one-bank", policy: "no-such-policy", size: String(G) });
    const key = (r: PointResult) => `${r.layout}/${r.policy}/${r.size}`;
    const seen: string[] = [];
    const pooled = await runPoints(tasks, 2, (r) => seen.push(key(r)));
    const inline = await runPoints(tasks, 0);
    expect(seen.sort()).toEqual(pooled.map(key).sort());
    const byKey = new Map(inline.map((r) => [key(r), strip(r)]));
    for (const r of pooled) expect(strip(r), key(r)).toEqual(byKey.get(key(r)));
    const failed = pooled.filter((r) => !r.ok);
    expect(failed.map(key)).toEqual(["one-bank/no-such-policy/1G"]);
    expect(failed[0].error?.message).toMatch(/not one of/);
    expect(pooled.filter((r) => r.ok)).toHaveLength(24);
  });
});
