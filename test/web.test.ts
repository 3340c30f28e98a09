/**
 * The web explorer end to end: web/ bundled with esbuild into a temporary folder, served on
 * 127.0.0.1, driven in headless Chromium with a real capture's memory map; the page's numbers and
 * ptdump text must equal the CLI's for the same input, and the bar must be drawn in the legend's
 * colours. Set WRITE_EXPLORER_PNG=1 to rewrite docs/explorer.png from the page.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMemoryMap } from "../src/memmap/index.js";
import { summarize } from "../src/report/summary.js";
import { runScenario } from "../src/scenario.js";
import { POLICIES, policyConfig } from "../src/sweep/policies.js";
import { buildWeb } from "../web/build.mjs";
import { serve } from "../web/serve.mjs";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const CAPTURE = join(ROOT, "test", "fixtures", "qemu", "6.1", "8G-rodata-on");
const IOMEM = join(CAPTURE, "iomem.txt");
const KERNEL = "6.1.192";
const CMDLINE = readFileSync(join(CAPTURE, "cmdline.txt"), "utf8").trim();

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) {
  console.warn("test/web.test.ts: skipped: no Chromium executable (/usr/bin/chromium, /usr/bin/chromium-browser or $CHROMIUM_PATH); on Debian: apt-get install chromium");
}

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`arm64-pgtable ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The value cells of a table on the page, by their data-key. */
async function values(page: Page, selector: string): Promise<Record<string, number>> {
  return page.$$eval(`${selector} [data-key]`, (cells) => Object.fromEntries(cells.map((c) => [(c as HTMLElement).dataset.key, Number((c as HTMLElement).dataset.value)])));
}

/** Runs the form and waits until this run, policies included, is shown; returns the status's state. */
async function submit(page: Page): Promise<string> {
  await page.click("#run");
  await settled(page);
  return (await page.getAttribute("#status", "data-state")) ?? "";
}

/** Waits until the last run started is fully shown. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const s = document.getElementById("status")?.dataset;
    // An engine that did not load shows its error with no run started.
    return s !== undefined && ((s.started !== "0" && s.started === s.shown) || s.state === "error");
  }, undefined, { timeout: 20_000 });
}

describe.skipIf(!CHROMIUM)("web explorer in headless Chromium", () => {
  let dir: string;
  let server: Server;
  let url: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pgtable-web-"));
    await buildWeb(dir, { minify: false });
    ({ server, url } = await serve(dir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    await page.goto(url);
    // The default machine (8G@0x40000000) is shown once the engine has loaded.
    await settled(page);
    expect(await page.getAttribute("#status", "data-state")).toBe("done");
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows what the CLI prints for a real capture (6.1.192, 8 GiB, rodata=on)", async () => {
    await page.fill("#memmap", readFileSync(IOMEM, "utf8"));
    await page.fill("#kernel", KERNEL);
    await page.fill("#cmdline", CMDLINE);
    await page.selectOption("#granule", "4");
    expect(await submit(page)).toBe("done");
    expect(await page.textContent("#error")).toBe("");
    expect(await page.textContent("#format-seen")).toMatch(/^read as iomem/);

    // The cost table: summary --json's numbers, and the descriptors the same boot wrote.
    const json = JSON.parse(cli("summary", "--memmap", IOMEM, "--kernel", KERNEL, "--cmdline", CMDLINE, "--json"));
    const sc = runScenario({ memmap: parseMemoryMap(readFileSync(IOMEM, "utf8"), { source: "iomem.txt" }), kernel: KERNEL, cmdline: CMDLINE });
    const shown = await values(page, "#costs");
    expect(shown).toEqual({
      "tables.pud": json.tables.pud,
      "tables.pmd": json.tables.pmd,
      "tables.pte": json.tables.pte,
      tableBytes: json.tableBytes,
      descriptorsWritten: sc.pt.stats().descriptorsWritten,
      "leaves.pudBlocks": json.leaves.pudBlocks,
      "leaves.pmdBlocks": json.leaves.pmdBlocks,
      "leaves.pmdCont": json.leaves.pmdCont,
      "leaves.ptes": json.leaves.ptes,
      "leaves.pteCont": json.leaves.pteCont,
      mappedBytes: json.mappedBytes,
    });
    // Pinned as well, so that a CLI and a page wrong the same way still fail (test/cli.test.ts derives them by hand).
    expect(shown).toMatchObject({ "tables.pud": 1, "tables.pmd": 1, "tables.pte": 2, tableBytes: 16384, "leaves.pudBlocks": 7, "leaves.pmdBlocks": 510, "leaves.ptes": 1024 });
    expect(shown.descriptorsWritten).toBeGreaterThan(0);

    // The ptdump text: the CLI's, byte for byte, which is also the real kernel's Linear Mapping section.
    const ptdump = await page.$eval("#ptdump", (e) => e.textContent);
    expect(ptdump).toBe(cli("ptdump", "--memmap", IOMEM, "--kernel", KERNEL, "--cmdline", CMDLINE));
    const real = readFileSync(join(CAPTURE, "ptdump.txt"), "utf8").split("\n");
    expect(ptdump).toBe(`${real.slice(real.indexOf("---[ Linear Mapping start ]---"), real.indexOf("---[ Linear Mapping end ]---") + 1).join("\n")}\n`);
    sc.pt.dispose();
  });

  it("runs the same machine under every policy of the sweep", async () => {
    const memmap = parseMemoryMap(readFileSync(IOMEM, "utf8"), { source: "iomem.txt" });
    const rows = await page.$$eval("#policies tbody tr", (trs) =>
      trs.map((tr) => ({
        name: (tr as HTMLElement).dataset.policy,
        tableBytes: Number((tr.querySelector('[data-key="tableBytes"]') as HTMLElement | null)?.dataset.value),
        descriptorsWritten: Number((tr.querySelector('[data-key="descriptorsWritten"]') as HTMLElement | null)?.dataset.value),
      })),
    );
    const expected = POLICIES.map((p) => {
      const sc = runScenario({ memmap, kernel: p.kernel, cmdline: p.cmdline, config: policyConfig(p), crashStrategy: p.crashStrategy, bbml2: p.bbml2 ?? "none" });
      const row = { name: p.name, tableBytes: summarize(sc.pt, sc.linear.start, sc.linear.end).tableBytes, descriptorsWritten: sc.pt.stats().descriptorsWritten };
      sc.pt.dispose();
      return row;
    });
    expect(rows).toEqual(expected);
    // Page-granular costs more than blocks: the table is not one policy's numbers repeated.
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(by.pages.tableBytes).toBeGreaterThan(by.blocks.tableBytes * 10);
  });

  it("draws the bar in the legend's colours, 1G blocks over most of it", async () => {
    const legend = await page.$$eval("#legend [data-kind]", (items) => items.map((i) => ({ kind: (i as HTMLElement).dataset.kind, colour: (i as HTMLElement).dataset.colour as string })));
    // 4K pages: 1G blocks, 32M CONT, 2M blocks, 64K CONT, 4K pages.
    expect(legend.map((l) => l.kind)).toEqual(["d2", "d1c", "d1", "d0c", "d0"]);
    const png = await page.locator("#bar").screenshot();
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    // Decode the screenshot in the page and count its pixels by colour.
    const counts: Record<string, number> = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const c = new OffscreenCanvas(img.width, img.height);
      const ctx = c.getContext("2d") as OffscreenCanvasRenderingContext2D;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, img.width, img.height).data;
      const n: Record<string, number> = {};
      for (let i = 0; i < d.length; i += 4) {
        const k = `#${((1 << 24) | (d[i] << 16) | (d[i + 1] << 8) | d[i + 2]).toString(16).slice(1)}`;
        n[k] = (n[k] ?? 0) + 1;
      }
      return n;
    }, png.toString("base64"));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    for (const l of legend) expect(counts[l.colour] ?? 0, `${l.kind} (${l.colour}) in the bar`).toBeGreaterThan(0);
    // 7 of the 8 GiB are 1 GiB blocks.
    const gig = legend.find((l) => l.kind === "d2")?.colour as string;
    expect(counts[gig] / total).toBeGreaterThan(0.8);
    expect(counts[gig] / total).toBeLessThan(0.9);

    if (process.env.WRITE_EXPLORER_PNG === "1") writeFileSync(join(ROOT, "docs", "explorer.png"), await page.screenshot({ fullPage: true }));
  });

  it("says why a kernel is refused, and takes 16K pages", async () => {
    await page.fill("#kernel", "4.19");
    expect(await submit(page)).toBe("error");
    expect(await page.textContent("#error")).toMatch(/only releases from 5\.10 to/);
    await page.fill("#kernel", KERNEL);
    await page.fill("#memmap", "8G@0x40000000");
    await page.fill("#cmdline", "rodata=on");
    await page.selectOption("#granule", "16");
    // The change of granule runs by itself; wait for it, then compare with the CLI.
    await settled(page);
    expect(await page.textContent("#bar-caption")).toContain("16K pages");
    const json = JSON.parse(cli("summary", "--memmap", "8G@0x40000000", "--kernel", KERNEL, "--cmdline", "rodata=on", "--granule", "16k", "--json"));
    const shown = await values(page, "#costs");
    expect({ pud: shown["tables.pud"], pmd: shown["tables.pmd"], pte: shown["tables.pte"], tableBytes: shown.tableBytes }).toEqual({ ...json.tables, tableBytes: json.tableBytes });
    expect(await page.$eval("#ptdump", (e) => e.textContent)).toBe(cli("ptdump", "--memmap", "8G@0x40000000", "--kernel", KERNEL, "--cmdline", "rodata=on", "--granule", "16k"));
    expect(errors).toEqual([]);
  });
});
