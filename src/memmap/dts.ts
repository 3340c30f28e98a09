/**
 * Device-tree source to a memory map, as 6.1 `drivers/of/fdt.c` reads the flattened tree:
 * - memory: top-level nodes with `device_type = "memory"` (`early_init_dt_scan_memory()`); a node
 *   named `memory` or `memory@…` without `device_type` is taken too, with a note (Linux skips it).
 *   `linux,usable-memory` replaces `reg` when present; nodes with `status` other than "okay"/"ok" are
 *   skipped. Cells follow the root's `#address-cells`/`#size-cells`, which default to 1 and 1 in
 *   Linux (`OF_ROOT_NODE_*_CELLS_DEFAULT`, `drivers/of/of_private.h`) when the root omits them.
 * - `/reserved-memory` children with `reg`: `no-map` ones are NOMAP (`memblock_mark_nomap()`), the
 *   others `memblock_reserve()`. Linux 6.1 ignores the whole node unless its `#address-cells` and
 *   `#size-cells` equal the root's and it has `ranges` (`__reserved_mem_check_root()`): this parser
 *   refuses such a node instead. Children without `reg` (dynamic, `size = …`) are noted, not modelled.
 * - `/memreserve/` entries are `memblock_reserve()`.
 * No-map and reserved ranges wholly outside memory are dropped with a note (they change nothing in
 * the linear map); ranges partly inside memory are an error.
 */
import { type DtNode, type DtProperty, DtsSyntaxError, parseDtsTree } from "./dts-tree.js";
import type { MemoryMap } from "./model.js";
import { type Draft, type Entry, type ParseContext, emptyDraft, entry, fail, finish } from "./validate.js";

interface Cells {
  ac: number;
  sc: number;
}

function cellCount(ctx: ParseContext, node: DtNode, prop: string): number | undefined {
  const p = node.props.get(prop);
  if (!p) return undefined;
  const v = p.values;
  if (v.length !== 1 || v[0].kind !== "cells" || v[0].cells.length !== 1) fail(ctx, p.line, `${prop} must be one cell, like <2>`);
  const n = Number(v[0].cells[0]);
  if (n < 1 || n > 2) fail(ctx, p.line, `${prop} = <${n}> is not supported (1 or 2 cells)`);
  return n;
}

function text(p: DtProperty | undefined): string | undefined {
  return p && p.values.length === 1 && p.values[0].kind === "string" ? p.values[0].text : undefined;
}

function available(node: DtNode): boolean {
  const s = node.props.get("status");
  if (!s) return true;
  const t = text(s);
  return t === "okay" || t === "ok";
}

function flatCells(ctx: ParseContext, name: string, p: DtProperty): bigint[] {
  const out: bigint[] = [];
  for (const v of p.values) {
    if (v.kind !== "cells") fail(ctx, p.line, `${name} must be <cells>`);
    out.push(...v.cells);
  }
  return out;
}

function join(cells: readonly bigint[]): bigint {
  return cells.reduce((acc, c) => (acc << 32n) | c, 0n);
}

/** The `(address, size)` tuples of a `reg`-like property. */
function tuples(ctx: ParseContext, what: string, prop: string, p: DtProperty, c: Cells): Entry[] {
  const cells = flatCells(ctx, prop, p);
  const n = c.ac + c.sc;
  if (cells.length === 0 || cells.length % n !== 0) {
    fail(ctx, p.line, `${prop} has ${cells.length} cells, not a multiple of #address-cells + #size-cells = ${c.ac} + ${c.sc}`);
  }
  const out: Entry[] = [];
  for (let i = 0; i < cells.length; i += n) {
    const base = join(cells.slice(i, i + c.ac));
    const size = join(cells.slice(i + c.ac, i + n));
    out.push(entry(ctx, p.line, what, base, size));
  }
  return out;
}

function isMemoryNode(d: Draft, node: DtNode): boolean {
  const type = node.props.get("device_type");
  if (type) return text(type) === "memory";
  if (node.name !== "memory" && !node.name.startsWith("memory@")) return false;
  d.notes.push(`line ${node.line}: ${node.name} has no device_type = "memory"; Linux 6.1 would skip it, it is read as memory`);
  return true;
}

function memoryNodes(ctx: ParseContext, d: Draft, root: DtNode, c: Cells): void {
  for (const node of root.children) {
    if (!isMemoryNode(d, node)) continue;
    if (!available(node)) {
      d.notes.push(`line ${node.line}: ${node.name} is not "okay" and was skipped`);
      continue;
    }
    const usable = node.props.get("linux,usable-memory");
    const prop = usable ? "linux,usable-memory" : "reg";
    const p = usable ?? node.props.get("reg");
    if (!p) {
      d.notes.push(`line ${node.line}: ${node.name} has no reg and was skipped`);
      continue;
    }
    if (node.props.has("hotpluggable")) d.notes.push(`line ${node.line}: ${node.name} is hotpluggable (MEMBLOCK_HOTPLUG is not modelled)`);
    d.memory.push(...tuples(ctx, node.name, prop, p, c));
  }
}

function reservedMemory(ctx: ParseContext, d: Draft, root: DtNode, c: Cells): void {
  const rm = root.children.find((n) => n.name === "reserved-memory");
  if (!rm) return;
  const why = "Linux 6.1 ignores the whole node (__reserved_mem_check_root)";
  for (const [prop, want] of [["#address-cells", c.ac], ["#size-cells", c.sc]] as const) {
    const n = cellCount(ctx, rm, prop);
    if (n === undefined) fail(ctx, rm.line, `/reserved-memory has no ${prop}: ${why}`);
    if (n !== want) fail(ctx, rm.props.get(prop)!.line, `/reserved-memory ${prop} = <${n}> differs from the root's <${want}>: ${why}`);
  }
  if (!rm.props.has("ranges")) fail(ctx, rm.line, `/reserved-memory has no "ranges" property: ${why}`);
  for (const child of rm.children) {
    if (!available(child)) continue;
    const p = child.props.get("reg");
    const nomap = child.props.has("no-map");
    if (!p) {
      if (child.props.has("size")) {
        d.notes.push(`line ${child.line}: reserved-memory/${child.name} is allocated at boot (size without reg) and is not modelled${nomap ? " (being no-map, it makes a NOMAP hole where it is allocated)" : ""}`);
      }
      continue;
    }
    const list = tuples(ctx, nomap ? `no-map ${child.name}` : `reserved ${child.name}`, "reg", p, c);
    (nomap ? d.nomap : d.reserved).push(...list);
  }
}

/** Parses device-tree source (.dts text) into a memory map. */
export function parseDts(text: string, ctx: ParseContext): MemoryMap {
  let tree;
  try {
    tree = parseDtsTree(text);
  } catch (e) {
    if (e instanceof DtsSyntaxError) fail(ctx, e.line, e.reason);
    throw e;
  }
  const d = emptyDraft();
  const root = tree.root;
  const ac = cellCount(ctx, root, "#address-cells");
  const sc = cellCount(ctx, root, "#size-cells");
  if (ac === undefined) d.notes.push("the root has no #address-cells: Linux 6.1 takes 1");
  if (sc === undefined) d.notes.push("the root has no #size-cells: Linux 6.1 takes 1");
  const c: Cells = { ac: ac ?? 1, sc: sc ?? 1 };
  for (const r of tree.memreserve) d.reserved.push(entry(ctx, r.line, "/memreserve/", r.base, r.size));
  memoryNodes(ctx, d, root, c);
  reservedMemory(ctx, d, root, c);
  if (d.memory.length === 0) fail(ctx, 0, 'no memory node (device_type = "memory" with reg)');
  return finish(ctx, d, "drop");
}
