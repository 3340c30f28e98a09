/**
 * Checks shared by the parsers: each range on its own (size, physical address limit), then the map
 * as a whole (overlaps, ranges outside memory), and the assembly of the final `MemoryMap`.
 */
import { MemoryMapError } from "./errors.js";
import { type MemoryBank, type MemoryMap, type MemoryMapFormat, type PhysRange, formatRange, hex, rangeEnd } from "./model.js";

/** Where a parser is: the source name and the physical address limit. */
export interface ParseContext {
  readonly source: string;
  readonly format: MemoryMapFormat;
  readonly paBits: number;
}

/** A range with the input line it came from and a name for messages ("System RAM", "no-map"). */
export interface Entry extends MemoryBank {
  readonly line: number;
  readonly what: string;
}

/** Everything a parser found, before the whole-map checks. */
export interface Draft {
  memory: Entry[];
  nomap: Entry[];
  reserved: Entry[];
  /** The `reserved` entries are memblock.reserved at the end of boot (/proc/iomem), not early ones. */
  reservedLate?: boolean;
  kernel?: Entry;
  kernelData?: Entry;
  crashkernel?: Entry;
  crashkernelLow?: Entry;
  notes: string[];
}

/** An empty draft. */
export function emptyDraft(): Draft {
  return { memory: [], nomap: [], reserved: [], notes: [] };
}

/** Throws the one-line error of `ctx.source` at `line`. */
export function fail(ctx: ParseContext, line: number, reason: string): never {
  throw new MemoryMapError(ctx.source, line, reason);
}

/** Checks the size and the physical address limit of `[base, base + size)` and names it an entry. */
export function entry(ctx: ParseContext, line: number, what: string, base: bigint, size: bigint, nid?: number): Entry {
  if (size === 0n) fail(ctx, line, `zero-size range at ${hex(base)}`);
  const limit = 1n << BigInt(ctx.paBits);
  if (base + size > limit) {
    fail(ctx, line, `${formatRange({ base, size })} ends above the ${ctx.paBits}-bit physical address limit ${hex(limit)}`);
  }
  return nid === undefined ? { base, size, line, what } : { base, size, nid, line, what };
}

/** An entry from an inclusive `start-end` pair (iomem, boot log). */
export function inclusiveEntry(ctx: ParseContext, line: number, what: string, start: bigint, end: bigint, nid?: number): Entry {
  if (end < start) fail(ctx, line, `end ${hex(end)} is before start ${hex(start)}`);
  return entry(ctx, line, what, start, end - start + 1n, nid);
}

/** Parses `0x…` (or bare hex with `bare`), naming the text when it is not hexadecimal. */
export function parseHex(ctx: ParseContext, line: number, text: string, bare = false): bigint {
  const ok = bare ? /^[0-9a-fA-F]+$/.test(text) : /^0[xX][0-9a-fA-F]+$/.test(text);
  if (!ok) fail(ctx, line, `bad hex number "${text}"`);
  return BigInt(bare ? `0x${text}` : text);
}

/** Text shortened for an error message. */
export function quote(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
}

function byBase(a: Entry, b: Entry): number {
  return a.base < b.base ? -1 : a.base > b.base ? 1 : a.line - b.line;
}

/** Fails at the later line of the first overlapping pair among `list`. */
function checkDisjoint(ctx: ParseContext, list: readonly Entry[]): void {
  const sorted = [...list].sort(byBase);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (b.base < rangeEnd(a)) {
      const [late, early] = b.line >= a.line ? [b, a] : [a, b];
      fail(ctx, late.line, `${late.what} ${formatRange(late)} overlaps ${early.what} ${formatRange(early)} at line ${early.line}`);
    }
  }
}

/** Fails when some entry of `list` overlaps one of `others`. */
function checkApart(ctx: ParseContext, list: readonly Entry[], others: readonly Entry[]): void {
  for (const a of list) {
    for (const b of others) {
      if (a.base < rangeEnd(b) && b.base < rangeEnd(a)) checkDisjoint(ctx, [a, b]);
    }
  }
}

/** Contiguous memory: the banks merged where they touch. */
function spans(memory: readonly Entry[]): PhysRange[] {
  const out: { base: bigint; size: bigint }[] = [];
  for (const m of [...memory].sort(byBase)) {
    const last = out[out.length - 1];
    if (last && last.base + last.size === m.base) last.size += m.size;
    else out.push({ base: m.base, size: m.size });
  }
  return out;
}

function placement(r: PhysRange, memory: readonly PhysRange[]): "inside" | "outside" | "partly" {
  let touched = false;
  for (const m of memory) {
    if (r.base >= m.base && rangeEnd(r) <= rangeEnd(m)) return "inside";
    if (r.base < rangeEnd(m) && m.base < rangeEnd(r)) touched = true;
  }
  return touched ? "partly" : "outside";
}

/**
 * Keeps the entries of `list` that lie inside memory. One partly inside is an error; one wholly
 * outside is an error with `outside: "error"`, else dropped with a note (Linux marks or reserves
 * nothing that matters to the linear map there).
 */
function insideMemory(ctx: ParseContext, d: Draft, list: readonly Entry[], mem: readonly PhysRange[], outside: "error" | "drop"): Entry[] {
  const kept: Entry[] = [];
  for (const e of list) {
    const p = placement(e, mem);
    if (p === "partly") fail(ctx, e.line, `${e.what} ${formatRange(e)} is only partly inside memory`);
    if (p === "outside") {
      if (outside === "error") fail(ctx, e.line, `${e.what} ${formatRange(e)} is outside memory`);
      d.notes.push(`line ${e.line}: ${e.what} ${formatRange(e)} lies outside memory and was dropped`);
      continue;
    }
    kept.push(e);
  }
  return kept;
}

function plain(e: Entry): PhysRange {
  return { base: e.base, size: e.size };
}

function bank(e: Entry): MemoryBank {
  return e.nid === undefined ? plain(e) : { base: e.base, size: e.size, nid: e.nid };
}

/**
 * The whole-map checks, then the `MemoryMap`: banks may not overlap; no-map and reserved ranges must
 * lie inside memory (see `insideMemory` for `outside`); the kernel and crashkernel ranges must lie
 * inside memory; no-map, reserved, kernel and crashkernel ranges may not overlap one another.
 */
export function finish(ctx: ParseContext, d: Draft, outside: "error" | "drop"): MemoryMap {
  if (d.memory.length === 0) fail(ctx, 0, "no memory ranges");
  checkDisjoint(ctx, d.memory);
  const mem = spans(d.memory);
  const nomap = insideMemory(ctx, d, d.nomap, mem, outside);
  const reserved = insideMemory(ctx, d, d.reserved, mem, outside);
  const singles = [d.kernel, d.kernelData, d.crashkernel, d.crashkernelLow].filter((e): e is Entry => e !== undefined);
  insideMemory(ctx, d, singles, mem, "error");
  checkDisjoint(ctx, nomap);
  checkDisjoint(ctx, [...reserved, ...singles]);
  checkApart(ctx, [...reserved, ...singles], nomap);
  const sorted = (l: Entry[]) => [...l].sort(byBase).map(plain);
  const map: MemoryMap = {
    source: ctx.source,
    format: ctx.format,
    paBits: ctx.paBits,
    memory: [...d.memory].sort(byBase).map(bank),
    nomap: sorted(nomap),
    reserved: d.reservedLate ? [] : sorted(reserved),
    ...(d.reservedLate ? { lateReserved: sorted(reserved) } : {}),
    notes: [...d.notes],
  };
  const extra: { -readonly [K in "kernel" | "kernelData" | "crashkernel" | "crashkernelLow"]?: PhysRange } = {};
  if (d.kernel) extra.kernel = plain(d.kernel);
  if (d.kernelData) extra.kernelData = plain(d.kernelData);
  if (d.crashkernel) extra.crashkernel = plain(d.crashkernel);
  if (d.crashkernelLow) extra.crashkernelLow = plain(d.crashkernelLow);
  return { ...map, ...extra };
}
