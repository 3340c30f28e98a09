/**
 * `unmap`: clears every leaf in range and frees the tables that become empty (as the kernel's
 * `unmap_hotplug_range` + `free_empty_tables` in arch/arm64/mm/mmu.c, in one post-order pass).
 */
import { BlockMappingError } from "../errors.js";
import { entrySize } from "../geometry.js";
import { BLOCK_WHAT, PGD_FRAME, type RefState, addrEnd, childFrame, contSize, entryIndex, hw, isCont, isTable, topLevel } from "./tables.js";

/** The range being unmapped, for the partial-block and partial-group checks. */
interface Span {
  readonly start: bigint;
  readonly end: bigint;
}

/** Clears [va, va + size); a block or CONT group only partly inside refuses (the caller rolls back). */
export function unmapRange(s: RefState, va: bigint, size: bigint): void {
  const span = { start: va, end: va + size };
  clearLevel(s, span, PGD_FRAME, topLevel(s.g), va, span.end);
}

/** Clears the entries of table `frame` (level `d`) over [addr, end); frees child tables left empty. */
function clearLevel(s: RefState, span: Span, frame: number, d: number, addr: bigint, end: bigint): void {
  const g = s.g;
  const table = s.pool.table(frame);
  do {
    const next = addrEnd(g, addr, end, d);
    const index = entryIndex(g, addr, d);
    const desc = table[index];
    if (desc !== 0n && isTable(desc, d)) {
      const child = childFrame(g, desc);
      clearLevel(s, span, child, d - 1, addr, next);
      if (isEmpty(s.pool.table(child))) {
        s.pool.store(frame, index, 0n, d); // pXd_clear
        s.pool.free(child, d - 1);
      }
    } else if (desc !== 0n) {
      checkWhole(s, span, d, addr, next, desc);
      s.pool.store(frame, index, 0n, d);
    }
    addr = next;
  } while (addr !== end);
}

/** A leaf may be cleared only if it, and its CONT group if any, lie wholly in the span. */
function checkWhole(s: RefState, span: Span, d: number, addr: bigint, next: bigint, desc: bigint): void {
  if (next - addr !== entrySize(s.g, d)) throw new BlockMappingError(addr, hw(d), desc, BLOCK_WHAT.partial);
  if (d <= 1 && isCont(desc)) {
    const size = contSize(s.g, d);
    const groupStart = addr & ~(size - 1n);
    if (groupStart < span.start || groupStart + size > span.end) {
      throw new BlockMappingError(addr, hw(d), desc, BLOCK_WHAT.partial);
    }
  }
}

/** Whether every entry of a table is zero. */
function isEmpty(table: BigUint64Array): boolean {
  for (let i = 0; i < table.length; i++) if (table[i] !== 0n) return false;
  return true;
}
