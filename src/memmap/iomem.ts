/**
 * `/proc/iomem`: `START-END : NAME`, inclusive end, hexadecimal without 0x, children indented by two
 * spaces per level. On arm64 (6.1 `arch/arm64/kernel/setup.c`, `request_standard_resources()`), every
 * `memblock.memory` region is a top-level entry: "System RAM", or "reserved" when it is NOMAP; "Kernel
 * code" is `[_stext, __init_begin)`, "Kernel data" is `[_sdata, _end)`, "Crash kernel" is the
 * crashkernel reservation, and the nested "reserved" entries are `memblock.reserved`
 * (`reserve_memblock_reserved_regions()`, split around the entries already there).
 *
 * "Kernel code" starts where map_mem() starts the kernel alias in every release read: `_text` in 5.10
 * and 6.12 (setup.c:209, :216), `_stext` in 6.1 (setup.c:224); it ends at `__init_begin - 1`.
 * The nested "reserved" entries are memblock.reserved at the end of setup_arch(): beside the firmware's
 * and the loader's reservations they hold what boot allocated after the linear map (its page tables,
 * struct pages, the CMA area), so they are kept as `lateReserved`, not as early reservations.
 */
import type { MemoryMap } from "./model.js";
import { type Draft, type Entry, type ParseContext, emptyDraft, fail, finish, inclusiveEntry, parseHex, quote } from "./validate.js";

interface Open {
  start: bigint;
  end: bigint;
  line: number;
  name: string;
}

function fmt(start: bigint, end: bigint): string {
  return `0x${start.toString(16)}-0x${end.toString(16)}`;
}

/** Reads the nested names under a top-level "System RAM" range. */
function nested(ctx: ParseContext, d: Draft, crash: Entry[], o: Open, firsts: Map<string, number>): void {
  const e = () => inclusiveEntry(ctx, o.line, o.name, o.start, o.end);
  const once = (name: string) => {
    const first = firsts.get(name);
    if (first !== undefined) fail(ctx, o.line, `a second "${name}" range (the first is at line ${first})`);
    firsts.set(name, o.line);
  };
  if (o.name === "reserved") {
    d.reserved.push(e());
  } else if (o.name === "Kernel code") {
    once(o.name);
    d.kernel = e();
  } else if (o.name === "Kernel data") {
    once(o.name);
    d.kernelData = e();
  } else if (o.name === "Crash kernel") {
    crash.push(e());
  }
}

/** Parses `/proc/iomem` text; top-level "reserved" ranges are NOMAP memory. */
export function parseIomem(text: string, ctx: ParseContext): MemoryMap {
  const d = emptyDraft();
  d.reservedLate = true;
  const crash: Entry[] = [];
  const firsts = new Map<string, number>();
  const stack: Open[] = []; // stack[depth]: the last entry seen at each depth on the current path
  let depth = -1;
  let ram = 0;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trimEnd(); // not /\s+$/, which is quadratic in a run of blanks before other text
    if (t === "") return;
    const m = /^( *)([^\s-]+)-(\S+) : (.+)$/.exec(t);
    if (!m) fail(ctx, line, `not a /proc/iomem line: ${quote(t)}`);
    if (m[1].length % 2 !== 0) fail(ctx, line, `indentation of ${m[1].length} spaces is not a multiple of 2`);
    const level = m[1].length / 2;
    if (level > depth + 1) fail(ctx, line, `indented to level ${level} below a line at level ${depth}`);
    const start = parseHex(ctx, line, m[2], true);
    const end = parseHex(ctx, line, m[3], true);
    if (level === 0 && start === 0n && end === 0n) {
      fail(ctx, line, "all-zero range 00000000-00000000: /proc/iomem hides addresses from readers without CAP_SYS_ADMIN; read it as root");
    }
    if (end < start) inclusiveEntry(ctx, line, m[4], start, end);
    const parent = level > 0 ? stack[level - 1] : undefined;
    if (parent && (start < parent.start || end > parent.end)) {
      fail(ctx, line, `${fmt(start, end)} is not inside its parent ${fmt(parent.start, parent.end)} at line ${parent.line}`);
    }
    const prev = level <= depth ? stack[level] : undefined; // the previous sibling
    if (prev && start < prev.start) {
      fail(ctx, line, `${fmt(start, end)} starts below ${fmt(prev.start, prev.end)} at line ${prev.line}: ranges must be sorted`);
    }
    if (prev && start <= prev.end) fail(ctx, line, `${fmt(start, end)} overlaps ${fmt(prev.start, prev.end)} at line ${prev.line}`);
    const o: Open = { start, end, line, name: m[4].trim() };
    stack.length = level;
    stack.push(o);
    depth = level;
    if (level === 0 && o.name === "System RAM") {
      ram++;
      d.memory.push(inclusiveEntry(ctx, line, "System RAM", start, end));
    } else if (level === 0 && o.name === "reserved") {
      d.memory.push(inclusiveEntry(ctx, line, "reserved", start, end));
      d.nomap.push(inclusiveEntry(ctx, line, "NOMAP reserved", start, end));
    } else if (level === 1 && stack[0].name === "System RAM") {
      nested(ctx, d, crash, o, firsts);
    }
  });
  if (ram === 0) fail(ctx, 0, 'no "System RAM" ranges');
  if (crash.length > 2) fail(ctx, crash[2].line, 'more than two "Crash kernel" ranges');
  // With crashkernel=X,high plus ,low there are two: crashk_res (high) and crashk_low_res (below the DMA limit).
  if (crash.length === 2) d.crashkernelLow = crash[0];
  if (crash.length > 0) d.crashkernel = crash[crash.length - 1];
  return finish(ctx, d, "error");
}
