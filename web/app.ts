/**
 * The web explorer: the simulator's own host code and wasm engine in a page. A memory map, a
 * kernel release, a command line and a page size go in; out come the linear map as a bar coloured
 * by mapping size, the costs `summary --json` prints, the ptdump text, and the same machine under
 * the sweep's policies. Everything runs here: the page only fetches its own files.
 */
import { PTE_CONT, PTE_VALID } from "../src/descriptor.js";
import { type Geometry, entrySize } from "../src/geometry.js";
import { DEFAULT_CONFIG, type KernelConfig } from "../src/kernel/config.js";
import { parseDtsTree } from "../src/memmap/dts-tree.js";
import { type MemoryMapFormat, parseMemoryMap } from "../src/memmap/index.js";
import { flavourForRelease, formatLinearMap } from "../src/ptdump/index.js";
import { ptdumpSizeText } from "../src/ptdump/size.js";
import { type LinearMapSummary, summarize } from "../src/report/summary.js";
import { type Scenario, type ScenarioInput, runScenario } from "../src/scenario.js";
import { POLICIES, policyConfig } from "../src/sweep/policies.js";
import type { PageTableEngine } from "../src/types.js";
import { useEngineModule } from "../src/wasm/module.js";

// ---------------------------------------------------------------------------------------------
// The model: inputs to a scenario, a scenario to what the page shows.

/** What the form holds. */
export interface ExplorerInputs {
  text: string;
  /** The dropped file's name, when the text came from one. */
  fileName?: string;
  format?: MemoryMapFormat;
  kernel: string;
  /** Empty: none given (a device tree's /chosen bootargs then stands, as for the CLI). */
  cmdline: string;
  granule: 4 | 16 | 64;
}

/** The scenario the CLI's `--memmap --kernel --cmdline --granule` would boot. */
function scenarioInput(inp: ExplorerInputs): ScenarioInput {
  const looksShorthand = /^[\d.]+[KMGTP]?@/i.test(inp.text.trim());
  const source = inp.fileName ?? (looksShorthand ? "<shorthand>" : "<input>");
  const memmap = parseMemoryMap(inp.text, { source, format: inp.format ?? (looksShorthand ? "shorthand" : undefined) });
  const notes: string[] = [];
  let cmdline = inp.cmdline.trim() === "" ? undefined : inp.cmdline;
  if (memmap.format === "dts") {
    const bootargs = dtsBootargs(inp.text);
    if (bootargs !== undefined && cmdline === undefined) {
      cmdline = bootargs;
      notes.push(`memory map ${memmap.source}: /chosen bootargs is the command line, as the kernel reads it: "${bootargs}"`);
    } else if (bootargs !== undefined && bootargs.trim() !== (cmdline ?? "").trim()) {
      notes.push(`memory map ${memmap.source}: /chosen bootargs "${bootargs}" is ignored: the command line given replaces it (as CONFIG_CMDLINE_FORCE would)`);
    }
  }
  const config: KernelConfig = { ...DEFAULT_CONFIG, granule: inp.granule };
  return { memmap, kernel: inp.kernel.trim(), cmdline: cmdline ?? "", config, notes };
}

/** A device-tree source's `/chosen` bootargs (as src/cli/scenario-options.ts reads them). */
function dtsBootargs(text: string): string | undefined {
  let root;
  try {
    root = parseDtsTree(text).root;
  } catch {
    return undefined;
  }
  const p = root.children.find((c) => c.name === "chosen")?.props.get("bootargs");
  if (!p) return undefined;
  const parts = p.values.filter((v) => v.kind === "string").map((v) => (v as { text: string }).text);
  return parts.length > 0 ? parts.join(" ") : undefined;
}

/** A run of entries of one mapping kind, as the bar draws it. */
interface Run {
  start: bigint;
  end: bigint;
  kind: Kind;
}

/** A mapping kind: leaf size and CONT, or an entry that is there but not valid. */
interface Kind {
  key: string;
  label: string;
  detail: string;
  colour: string;
  /** Bigger first in the legend. */
  order: number;
}

const PALETTE: Record<string, string> = {
  "d3": "#0b3d91",
  "d2": "#2f6fd0",
  "d1c": "#25a36b",
  "d1": "#f39c12",
  "d0c": "#8e5bd6",
  "d0": "#d63a3a",
  invalid: "#b9bec8",
};
const GAP_COLOUR = "#eef0f3";

/** The kind of a coalesced range of `g`'s tables. */
function kindOf(g: Geometry, level: number, descriptor: bigint): Kind {
  const d = 3 - level;
  if ((descriptor & PTE_VALID) === 0n) {
    return { key: "invalid", label: "not valid", detail: "entries present but invalid (unmapped after boot)", colour: PALETTE.invalid, order: -1 };
  }
  const entry = entrySize(g, d);
  const cont = (descriptor & PTE_CONT) !== 0n && d <= 1;
  const n = cont ? g.contEntries[d] : 1;
  const size = ptdumpSizeText(0n, entry * BigInt(n));
  const what = d === 0 ? "page" : "block";
  return {
    key: `d${d}${cont ? "c" : ""}`,
    label: cont ? `${size} CONT` : size,
    detail: cont ? `${n} × ${ptdumpSizeText(0n, entry)} ${what}s with the contiguous bit` : `${size} ${what}s`,
    colour: PALETTE[`d${d}${cont ? "c" : ""}`] ?? "#555",
    order: Number(entry) * n,
  };
}

/** The linear map's present entries in [start, end), coalesced by level, valid bit and CONT. */
function runsOf(pt: PageTableEngine, start: bigint, end: bigint): Run[] {
  const g = pt.geometry;
  return pt
    .ranges({ start, end, mask: PTE_VALID | PTE_CONT })
    .filter((r) => r.descriptor !== 0n)
    .map((r) => ({ start: r.start, end: r.end, kind: kindOf(g, r.level, r.descriptor) }));
}

/** One policy's row. */
interface PolicyRow {
  name: string;
  title: string;
  summary?: LinearMapSummary;
  descriptorsWritten?: number;
  runs?: Run[];
  pageSize?: bigint;
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// The bar: runs laid out along a line, long holes between banks shortened to a fixed break.

interface Block {
  u0: number;
  u1: number;
  run?: Run;
  /** A hole: `short` when drawn shorter than it is. */
  hole?: { start: bigint; end: bigint; short: boolean };
}

interface Layout {
  blocks: Block[];
  total: number;
  minSpan: number;
}

/** Lays runs out: sizes in bytes, holes up to 1/8 of the mapped bytes to scale, longer ones as 3%. */
function layOut(runs: Run[], pageSize: bigint): Layout {
  const mapped = runs.reduce((n, r) => n + Number(r.end - r.start), 0);
  const blocks: Block[] = [];
  let u = 0;
  let prev: bigint | undefined;
  for (const r of runs) {
    if (prev !== undefined && r.start > prev) {
      const bytes = Number(r.start - prev);
      const short = bytes > mapped / 8;
      const w = short ? mapped * 0.03 : bytes;
      blocks.push({ u0: u, u1: u + w, hole: { start: prev, end: r.start, short } });
      u += w;
    }
    const w = Number(r.end - r.start);
    blocks.push({ u0: u, u1: u + w, run: r });
    u += w;
    prev = r.end;
  }
  return { blocks, total: Math.max(u, 1), minSpan: Math.min(Math.max(u, 1), Number(pageSize) * 16) };
}

/** Stripe order in a pixel column that holds several kinds: bigger mappings on top, holes last. */
const STRIPES = ["d3", "d2", "d1c", "d1", "d0c", "d0", "invalid", "hole"];

/**
 * Draws `layout`'s view [a, b) on `canvas` at the device's pixel ratio. A pixel column shows every
 * kind of mapping that falls in it, as stripes: a few 4 KiB pages among gigabytes stay visible.
 */
function drawBar(canvas: HTMLCanvasElement, layout: Layout, a: number, b: number): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, w, h);
  const scale = w / (b - a);
  // Per column, a bit per kind present; colours by kind.
  const masks = new Uint16Array(w);
  const colours: string[] = STRIPES.map(() => GAP_COLOUR);
  const breaks: number[] = [];
  for (const blk of layout.blocks) {
    if (blk.u1 <= a || blk.u0 >= b) continue;
    const key = blk.run ? blk.run.kind.key : "hole";
    const bit = STRIPES.indexOf(key);
    if (bit < 0) continue;
    if (blk.run) colours[bit] = blk.run.kind.colour;
    const x0 = (blk.u0 - a) * scale;
    const x1 = (blk.u1 - a) * scale;
    if (blk.hole?.short) breaks.push((x0 + x1) / 2);
    // Every column the block reaches into, however little (less rounding error).
    const c0 = Math.min(w - 1, Math.max(0, Math.floor(x0 + 1e-9)));
    const c1 = Math.min(w, Math.max(c0 + 1, Math.ceil(x1 - 1e-9)));
    for (let c = c0; c < c1; c++) masks[c] |= 1 << bit;
  }
  for (let c = 0; c < w; ) {
    const m = masks[c];
    let e = c + 1;
    while (e < w && masks[e] === m) e++;
    const bits = STRIPES.map((_, i) => i).filter((i) => m & (1 << i));
    bits.forEach((bit, i) => {
      ctx.fillStyle = colours[bit];
      const y0 = Math.round((i * h) / bits.length);
      const y1 = Math.round(((i + 1) * h) / bits.length);
      ctx.fillRect(c, y0, e - c, y1 - y0);
    });
    c = e;
  }
  ctx.strokeStyle = "#9aa3b2";
  ctx.lineWidth = Math.max(1, dpr);
  for (const mid of breaks) {
    ctx.beginPath();
    ctx.moveTo(mid - 3 * dpr, h);
    ctx.lineTo(mid + 1 * dpr, 0);
    ctx.moveTo(mid + 1 * dpr, h);
    ctx.lineTo(mid + 5 * dpr, 0);
    ctx.stroke();
  }
}

/** The block under units `u`. */
function blockAt(layout: Layout, u: number): Block | undefined {
  const bl = layout.blocks;
  let lo = 0;
  let hi = bl.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bl[mid].u1 <= u) lo = mid + 1;
    else if (bl[mid].u0 > u) hi = mid - 1;
    else return bl[mid];
  }
  return undefined;
}

/** The VA at units `u`, rounded down to 4 KiB (inside a shortened hole: its start; past the end: the end). */
function vaAt(layout: Layout, u: number): bigint | undefined {
  const bl = layout.blocks;
  const last = bl[bl.length - 1];
  if (!last) return undefined;
  if (u >= last.u1) return (last.run ?? last.hole)?.end;
  const blk = blockAt(layout, Math.max(u, 0));
  const s = blk?.run ?? blk?.hole;
  if (!blk || !s) return undefined;
  if (blk.hole?.short) return s.start;
  return s.start + BigInt(Math.floor(Math.min(u - blk.u0, Number(s.end - s.start)) / 4096) * 4096);
}

// ---------------------------------------------------------------------------------------------
// Formatting.

const hex = (v: bigint) => `0x${v.toString(16)}`;
const int = (n: number) => n.toLocaleString("en-US");

/** Bytes for people: 16 KiB, 1.5 GiB. */
function bytesText(n: number | bigint): string {
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(v < 10 ? 2 : 1).replace(/\.?0+$/, "")} ${units[i]}`;
}

/** A share as a percentage: 87.5%, 0.021%. */
function share(f: number): string {
  const p = f * 100;
  return `${p >= 1 || p === 0 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// ---------------------------------------------------------------------------------------------
// The page.

/** Release lines offered in the kernel box (any release the model accepts can be typed). */
const KERNEL_SUGGESTIONS = ["5.10", "5.15", "6.1", "6.1.192", "6.6", "6.12", "6.12.117", "6.18", "7.0", "7.1", "7.2", "7.3"];

interface View {
  layout: Layout;
  a: number;
  b: number;
  pt: PageTableEngine;
}

let view: View | undefined;
/** Runs started, and the last one fully shown (the status element carries both, for tests). */
let started = 0;
let shown = 0;
let fileName: string | undefined;

function readInputs(): ExplorerInputs {
  const format = $<HTMLSelectElement>("format").value;
  return {
    text: $<HTMLTextAreaElement>("memmap").value,
    fileName,
    format: format === "" ? undefined : (format as MemoryMapFormat),
    kernel: $<HTMLInputElement>("kernel").value,
    cmdline: $<HTMLInputElement>("cmdline").value,
    granule: Number($<HTMLSelectElement>("granule").value) as 4 | 16 | 64,
  };
}

function setStatus(state: string, text: string): void {
  const s = $("status");
  s.dataset.state = state;
  s.dataset.started = String(started);
  s.dataset.shown = String(shown);
  s.textContent = text;
}

/** Boots the form's machine and shows it; then the policies, after a paint. */
function run(): void {
  const id = ++started;
  const inputs = readInputs();
  const t0 = performance.now();
  $("error").textContent = "";
  let sc: Scenario;
  let input: ScenarioInput;
  try {
    input = scenarioInput(inputs);
    sc = runScenario(input);
  } catch (e) {
    shown = id;
    $("format-seen").textContent = "";
    $("error").textContent = (e as Error).message;
    setStatus("error", "not built");
    return;
  }
  const s = summarize(sc.pt, sc.linear.start, sc.linear.end);
  const descriptors = sc.pt.stats().descriptorsWritten;
  const runList = runsOf(sc.pt, sc.linear.start, sc.linear.end);
  const g = sc.pt.geometry;

  $("format-seen").textContent = `read as ${input.memmap.format}: ${input.memmap.memory.length} bank${input.memmap.memory.length === 1 ? "" : "s"}`;
  const notes = $("notes");
  notes.replaceChildren(...sc.notes.map((n) => el("li", {}, n)));

  view?.pt.dispose();
  const layout = layOut(runList, g.pageSize);
  view = { layout, a: 0, b: layout.total, pt: sc.pt };
  $("bar-caption").textContent = `${sc.policy.release.text}, ${g.granule}K pages, ${g.vaBits}-bit VA, PAGE_OFFSET ${hex(sc.linear.start)}`;
  redraw();
  showLegend(runList);
  showCosts(s, descriptors, g);
  $("ptdump").textContent = formatLinearMap(sc.pt, flavourForRelease(sc.policy.release));
  const ms = performance.now() - t0;
  setStatus("policies", `built in ${ms.toFixed(0)} ms; the policies…`);
  const body = $("policies").querySelector("tbody") as HTMLTableSectionElement;
  body.replaceChildren();
  requestAnimationFrame(() =>
    setTimeout(() => {
      // A newer run has started: it shows its own policies.
      if (id !== started) return;
      const rows = POLICIES.map((p): PolicyRow => {
        let psc: Scenario | undefined;
        try {
          psc = runScenario({ ...input, notes: [], kernel: p.kernel, kernelVersion: undefined, cmdline: p.cmdline, config: policyConfig(p), crashStrategy: p.crashStrategy, bbml2: p.bbml2 ?? "none" });
          return {
            name: p.name,
            title: p.title,
            summary: summarize(psc.pt, psc.linear.start, psc.linear.end),
            descriptorsWritten: psc.pt.stats().descriptorsWritten,
            runs: runsOf(psc.pt, psc.linear.start, psc.linear.end),
            pageSize: psc.pt.geometry.pageSize,
          };
        } catch (e) {
          return { name: p.name, title: p.title, error: (e as Error).message };
        } finally {
          psc?.pt.dispose();
        }
      });
      showPolicies(rows, s, descriptors);
      shown = id;
      setStatus("done", `built in ${ms.toFixed(0)} ms; ${POLICIES.length} policies in ${(performance.now() - t0 - ms).toFixed(0)} ms`);
    }, 0),
  );
}

function redraw(): void {
  if (!view) return;
  drawBar($<HTMLCanvasElement>("bar"), view.layout, view.a, view.b);
  const s = vaAt(view.layout, view.a);
  const e = vaAt(view.layout, view.b);
  $("axis-start").textContent = s === undefined ? "" : hex(s);
  $("axis-end").textContent = e === undefined ? "" : hex(e);
}

function showLegend(list: Run[]): void {
  const by = new Map<string, { kind: Kind; bytes: bigint }>();
  let total = 0n;
  for (const r of list) {
    const e = by.get(r.kind.key) ?? { kind: r.kind, bytes: 0n };
    e.bytes += r.end - r.start;
    total += r.end - r.start;
    by.set(r.kind.key, e);
  }
  const items = [...by.values()].sort((x, y) => y.kind.order - x.kind.order);
  $("legend").replaceChildren(
    ...items.map(({ kind, bytes }) =>
      el("span", { "data-kind": kind.key, "data-colour": kind.colour, title: kind.detail }, el("span", { class: "sw", style: `background:${kind.colour}` }), `${kind.label}: ${bytesText(bytes)} (${share(Number(bytes) / Number(total || 1n))})`),
    ),
    el("span", { title: "no entries: between banks, or a no-map hole" }, el("span", { class: "sw", style: `background:${GAP_COLOUR}` }), "not mapped"),
  );
}

function showCosts(s: LinearMapSummary, descriptors: number, g: Geometry): void {
  const size = (d: number) => ptdumpSizeText(0n, entrySize(g, d));
  const rows: [string, string, number, string][] = [
    ["tables.pud", "PUD table pages", s.tables.pud, ""],
    ["tables.pmd", "PMD table pages", s.tables.pmd, ""],
    ["tables.pte", "PTE table pages", s.tables.pte, ""],
    ["tableBytes", "table bytes", s.tableBytes, bytesText(s.tableBytes)],
    ["descriptorsWritten", "descriptors written", descriptors, ""],
    ["leaves.pudBlocks", `PUD blocks (${size(2)})`, s.leaves.pudBlocks, ""],
    ["leaves.pmdBlocks", `PMD blocks (${size(1)})`, s.leaves.pmdBlocks, ""],
    ["leaves.pmdCont", "of which CONT", s.leaves.pmdCont, ""],
    ["leaves.ptes", `PTEs (${size(0)})`, s.leaves.ptes, ""],
    ["leaves.pteCont", "of which CONT", s.leaves.pteCont, ""],
    ["mappedBytes", "bytes mapped", s.mappedBytes, bytesText(s.mappedBytes)],
  ];
  ($("costs").querySelector("tbody") as HTMLTableSectionElement).replaceChildren(
    ...rows.map(([key, label, value, human]) => el("tr", {}, el("td", {}, label), el("td", { class: "num", "data-key": key, "data-value": String(value) }, int(value)), el("td", { class: "hint" }, human))),
  );
}

function showPolicies(rows: PolicyRow[], mine: LinearMapSummary, myDescriptors: number): void {
  const body = $("policies").querySelector("tbody") as HTMLTableSectionElement;
  const bars: [HTMLCanvasElement, Run[], bigint][] = [];
  body.replaceChildren(
    ...rows.map((r) => {
      if (!r.summary || r.descriptorsWritten === undefined || !r.runs) {
        return el("tr", { "data-policy": r.name }, el("td", {}, r.name), el("td", { colspan: "4", class: "hint" }, r.error ?? ""), el("td", { class: "title" }, r.title));
      }
      const t = r.summary.tables;
      const same = r.summary.tableBytes === mine.tableBytes && r.descriptorsWritten === myDescriptors && JSON.stringify(r.summary) === JSON.stringify(mine);
      const canvas = el("canvas", { class: "mini", height: "14" });
      bars.push([canvas, r.runs, r.pageSize ?? 4096n]);
      return el(
        "tr",
        { "data-policy": r.name, ...(same ? { class: "same", title: "the same as the machine above" } : {}) },
        el("td", {}, r.name),
        el("td", { class: "num" }, `${t.pud}/${t.pmd}/${t.pte}`),
        el("td", { class: "num", "data-key": "tableBytes", "data-value": String(r.summary.tableBytes) }, bytesText(r.summary.tableBytes)),
        el("td", { class: "num", "data-key": "descriptorsWritten", "data-value": String(r.descriptorsWritten) }, int(r.descriptorsWritten)),
        el("td", { class: "bar" }, canvas),
        el("td", { class: "title" }, r.title),
      );
    }),
  );
  for (const [canvas, list, page] of bars) {
    const layout = layOut(list, page);
    drawBar(canvas, layout, 0, layout.total);
  }
}

/** Wheel zooms about the pointer, a drag pans, a double click shows the whole map; hover names the run. */
function wireBar(): void {
  const canvas = $<HTMLCanvasElement>("bar");
  const tip = $("tip");
  const unitsAt = (clientX: number) => {
    const r = canvas.getBoundingClientRect();
    const f = Math.min(Math.max((clientX - r.left) / r.width, 0), 1);
    return view ? view.a + f * (view.b - view.a) : 0;
  };
  canvas.addEventListener(
    "wheel",
    (ev) => {
      if (!view) return;
      ev.preventDefault();
      const u = unitsAt(ev.clientX);
      const k = Math.exp(ev.deltaY * 0.0015);
      const span = Math.min(view.layout.total, Math.max(view.layout.minSpan, (view.b - view.a) * k));
      const f = (u - view.a) / (view.b - view.a);
      view.a = Math.min(Math.max(u - f * span, 0), view.layout.total - span);
      view.b = view.a + span;
      redraw();
    },
    { passive: false },
  );
  let drag: { x: number; a: number; b: number } | undefined;
  canvas.addEventListener("mousedown", (ev) => {
    if (view) drag = { x: ev.clientX, a: view.a, b: view.b };
  });
  window.addEventListener("mouseup", () => (drag = undefined));
  window.addEventListener("mousemove", (ev) => {
    if (!drag || !view) return;
    const r = canvas.getBoundingClientRect();
    const du = ((ev.clientX - drag.x) / r.width) * (drag.b - drag.a);
    const span = drag.b - drag.a;
    view.a = Math.min(Math.max(drag.a - du, 0), view.layout.total - span);
    view.b = view.a + span;
    redraw();
  });
  canvas.addEventListener("dblclick", () => {
    if (!view) return;
    view.a = 0;
    view.b = view.layout.total;
    redraw();
  });
  canvas.addEventListener("mouseleave", () => (tip.style.display = "none"));
  canvas.addEventListener("mousemove", (ev) => {
    if (!view) return;
    const blk = blockAt(view.layout, unitsAt(ev.clientX));
    if (!blk) {
      tip.style.display = "none";
      return;
    }
    let text: string;
    if (blk.run) {
      const r = blk.run;
      const pa = view.pt.walk(r.start).pa;
      text = `${r.kind.label}: ${r.kind.detail}\nVA ${hex(r.start)}-${hex(r.end)}\n${pa === undefined ? "not valid" : `PA ${hex(pa)}`}  ${bytesText(r.end - r.start)}`;
    } else {
      const h = blk.hole as NonNullable<Block["hole"]>;
      text = `not mapped${h.short ? " (drawn shorter)" : ""}\nVA ${hex(h.start)}-${hex(h.end)}\n${bytesText(h.end - h.start)}`;
    }
    tip.textContent = text;
    tip.style.display = "block";
    const box = canvas.getBoundingClientRect();
    const x = ev.clientX - box.left;
    tip.style.left = `${Math.min(x + 12, box.width - tip.offsetWidth)}px`;
    tip.style.top = `${canvas.offsetHeight + 4}px`;
  });
  window.addEventListener("resize", redraw);
}

/** Reads a dropped or chosen file into the text box and runs. */
async function takeFile(file: File): Promise<void> {
  $<HTMLTextAreaElement>("memmap").value = await file.text();
  fileName = file.name;
  run();
}

function wireForm(): void {
  $("kernels").replaceChildren(...KERNEL_SUGGESTIONS.map((k) => el("option", { value: k })));
  const form = $<HTMLFormElement>("form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run();
  });
  for (const id of ["granule", "format"]) $(id).addEventListener("change", run);
  for (const id of ["kernel", "cmdline"]) $(id).addEventListener("keydown", (ev) => {
    if ((ev as KeyboardEvent).key === "Enter") {
      ev.preventDefault();
      run();
    }
  });
  const area = $<HTMLTextAreaElement>("memmap");
  area.addEventListener("input", () => (fileName = undefined));
  area.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    area.classList.add("drop");
  });
  area.addEventListener("dragleave", () => area.classList.remove("drop"));
  area.addEventListener("drop", (ev) => {
    ev.preventDefault();
    area.classList.remove("drop");
    const f = ev.dataTransfer?.files[0];
    if (f) void takeFile(f);
  });
  $<HTMLInputElement>("file").addEventListener("change", (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void takeFile(f);
  });
  $("copy").addEventListener("click", () => void navigator.clipboard?.writeText($("ptdump").textContent ?? ""));
}

/** Fetches and compiles the engine, then shows the default machine. */
async function start(): Promise<void> {
  const url = new URL("pgtable.wasm", import.meta.url);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A server that does not send application/wasm: compile from the bytes.
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
    module = await WebAssembly.compile(await res.arrayBuffer());
  }
  useEngineModule(module);
  wireForm();
  wireBar();
  run();
}

start().catch((e: Error) => {
  $("error").textContent = `the engine did not load: ${e.message}`;
  setStatus("error", "no engine");
});
