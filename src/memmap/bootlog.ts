/**
 * Boot-log memory node ranges. 6.1 `mm/page_alloc.c` `free_area_init()` prints, after the header
 * `Early memory node ranges`, one line per `memblock.memory` region, NOMAP ones included:
 * `pr_info("  node %3d: [mem %#018Lx-%#018Lx]\n", nid, start, end)` (inclusive end, page-rounded).
 * The bare form `node 0: 0x…-0x…` is read too. Contiguous lines are separate memblock regions: the
 * kernel merges contiguous regions of one node with equal flags, so two contiguous lines of one node
 * differ in their flags (typically one is NOMAP), which the log does not show.
 */
import type { MemoryMap } from "./model.js";
import { type Entry, type ParseContext, emptyDraft, fail, finish, inclusiveEntry, parseHex, quote } from "./validate.js";

const HEADER = "Early memory node ranges";
const NODE = /(?:^|[\s\]:])node\s+(\d+):(.*)$/;

function fmt(e: Entry): string {
  return `0x${e.base.toString(16)}-0x${(e.base + e.size - 1n).toString(16)}`;
}

/** Parses one range after `node N:`: `[mem 0xSTART-0xEND]` or `0xSTART-0xEND`. */
function nodeRange(ctx: ParseContext, line: number, nid: number, rest: string): Entry {
  let r = rest.trim();
  const bracket = /^\[mem\s+(.*)\]$/.exec(r);
  if (bracket) r = bracket[1].trim();
  const parts = r.split("-");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") fail(ctx, line, `not a memory node range: ${quote(rest)}`);
  const start = parseHex(ctx, line, parts[0].trim());
  const end = parseHex(ctx, line, parts[1].trim());
  return inclusiveEntry(ctx, line, `node ${nid}`, start, end, nid);
}

/** Parses the `node N: …` lines of a boot log; other lines are ignored. */
export function parseBootlog(text: string, ctx: ParseContext): MemoryMap {
  const d = emptyDraft();
  let header = 0;
  text.split("\n").forEach((l, i) => {
    const line = i + 1;
    const raw = l.endsWith("\r") ? l.slice(0, -1) : l; // a log saved with CRLF (a serial console's)
    if (raw.includes(HEADER)) {
      if (header > 0) fail(ctx, line, `a second "${HEADER}" header (the first is at line ${header}): one boot per input`);
      header = line;
      return;
    }
    const m = NODE.exec(raw);
    if (!m) return;
    const nid = Number(m[1]);
    // arm64's NODES_SHIFT is at most 10 (arch/arm64/Kconfig): node numbers run from 0 to 1023.
    if (nid > 1023) fail(ctx, line, `node ${m[1].length > 12 ? `${m[1].slice(0, 12)}...` : m[1]} is not a NUMA node number (0 to 1023)`);
    const e = nodeRange(ctx, line, nid, m[2]);
    const prev = d.memory[d.memory.length - 1];
    if (prev && e.base < prev.base) fail(ctx, line, `${fmt(e)} starts below ${fmt(prev)} at line ${prev.line}: ranges must be sorted`);
    if (prev && e.base < prev.base + prev.size) fail(ctx, line, `${fmt(e)} overlaps ${fmt(prev)} at line ${prev.line}`);
    d.memory.push(e);
  });
  if (d.memory.length === 0) fail(ctx, 0, 'no "node N: 0xSTART-0xEND" memory range lines');
  const touching = d.memory.filter((e, i) => i > 0 && d.memory[i - 1].base + d.memory[i - 1].size === e.base && d.memory[i - 1].nid === e.nid);
  if (touching.length > 0) {
    d.notes.push(
      `${touching.length} range lines touch the line before them on the same node: Linux keeps such regions apart only when their flags differ (usually one is NOMAP, which the log does not show); all are taken as mapped`,
    );
  }
  return finish(ctx, d, "error");
}
