/**
 * `ranges`: a coalesced dump of the tables, visited as ptdump's walk (mm/ptdump.c) visits them: table
 * entries are descended, leaves and empty entries are noted at their level (`note_page`).
 */
import { decodeOA, entrySize } from "../geometry.js";
import type { MappedRange } from "../types.js";
import { PGD_FRAME, type RefState, childFrame, entriesAt, hw, isTable, topLevel } from "./tables.js";

/** What `ranges` coalesces by. */
export interface RangesQuery {
  start: bigint;
  end: bigint;
  mask: bigint;
  exact: boolean;
}

/** The range being grown, as ptdump's `pg_state`. */
interface Open {
  range: MappedRange;
  masked: bigint;
  /** OA at `range.start` (0 for an empty entry), for exact mode. */
  pa: bigint;
}

/** Walks [start, end) and returns the coalesced ranges, the first and last clipped to it. */
export function dumpRanges(s: RefState, q: RangesQuery): MappedRange[] {
  const out: MappedRange[] = [];
  let open: Open | undefined;

  // note_page: extend the open range or start a new one. Exact mode also asks a leaf's OA to
  // follow the VA from the start of the open range (empty entries carry no OA and never break it).
  const note = (va: bigint, size: bigint, d: number, desc: bigint): void => {
    const start = va > q.start ? va : q.start;
    const end = va + size < q.end ? va + size : q.end;
    const masked = desc & q.mask;
    const pa = desc === 0n ? 0n : decodeOA(s.g, desc) + (start - va);
    if (open && open.range.level === hw(d) && open.masked === masked) {
      if (!q.exact || desc === 0n || pa === open.pa + (start - open.range.start)) {
        open.range.end = end;
        return;
      }
    }
    open = { range: { start, end, level: hw(d), descriptor: desc }, masked, pa };
    out.push(open.range);
  };

  const visit = (frame: number, d: number, base: bigint): void => {
    const size = entrySize(s.g, d);
    const table = s.pool.table(frame);
    const n = entriesAt(s.g, d);
    const first = q.start > base ? Number((q.start - base) / size) : 0;
    for (let i = first; i < n; i++) {
      const va = base + BigInt(i) * size;
      if (va >= q.end) break;
      const desc = table[i];
      if (isTable(desc, d)) visit(childFrame(s.g, desc), d - 1, va);
      else note(va, size, d, desc);
    }
  };

  visit(PGD_FRAME, topLevel(s.g), s.g.ttbr1Base);
  return out;
}
