/**
 * `map`: the kernel's `__create_pgd_mapping` (arch/arm64/mm/mmu.c), one function per kernel function.
 * Each loop steps `addr` to the next entry boundary (`p?d_addr_end`) or contiguous-group boundary
 * (`p?d_cont_addr_end`) and advances `phys` with it. Refusals throw UnsafeChangeError; the caller runs
 * this inside a transaction, so a refused call leaves the tables as they were.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, PMD_TYPE_TABLE, PTE_CONT, PTE_TABLE_BIT } from "../descriptor.js";
import { UnsafeChangeError } from "../errors.js";
import { encodeOA, entrySize, linuxBlockLevel } from "../geometry.js";
import { pgattrChangeIsSafe } from "./safety.js";
import {
  PGD_FRAME,
  type RefState,
  addrEnd,
  childFrame,
  contAddrEnd,
  contSize,
  entryIndex,
  hw,
  isAligned,
  isTable,
  mapTableAttrs,
  tableDescriptor,
  topLevel,
} from "./tables.js";

/** The arguments every level passes down unchanged. */
interface MapCtx {
  readonly s: RefState;
  readonly flags: number;
}

/**
 * `__create_pgd_mapping_locked`: maps [va, va + size) to pa with `prot` and the kernel's map flags,
 * handing the top level one entry at a time (`pgd_addr_end`). With folded levels this is why no CONT
 * reaches the top table of a 2-level table: a CONT_PMD chunk never fits in one entry.
 */
export function createPgdMapping(s: RefState, va: bigint, pa: bigint, size: bigint, prot: bigint, flags: number): void {
  const c = { s, flags };
  const top = topLevel(s.g);
  const end = va + size;
  let addr = va;
  let phys = pa;
  do {
    const next = addrEnd(s.g, addr, end, top);
    mapLevel(c, PGD_FRAME, top, addr, next, phys, prot);
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** The loop over the entries of the table `frame` at level `d`, in the kernel function of that level. */
function mapLevel(c: MapCtx, frame: number, d: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  if (d === 0) allocInitContPteLoop(c, frame, addr, end, phys, prot);
  else if (d === 1) allocInitContPmdLoop(c, frame, addr, end, phys, prot);
  else if (d === 2) initPud(c, frame, addr, end, phys, prot);
  else initP4d(c, frame, d, addr, end, phys, prot);
}

/**
 * The prologue of `alloc_init_p4d` / `alloc_init_pud` / `alloc_init_cont_pmd` / `alloc_init_cont_pte`:
 * the level-`d` entry must hold a table (new if empty, reused if a table, `BUG_ON(p?d_sect)` /
 * `BUG_ON(p?d_bad)` otherwise); then the next level's loop runs in it.
 */
function allocInit(c: MapCtx, frame: number, index: number, d: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const child = ensureTable(c, frame, index, d, addr);
  mapLevel(c, child, d - 1, addr, end, phys, prot);
}

/** `p?d_none` → `pgtable_alloc` + `__p?d_populate`; a table is reused; anything else is refused. */
function ensureTable(c: MapCtx, frame: number, index: number, d: number, addr: bigint): number {
  const { s } = c;
  const old = s.pool.table(frame)[index];
  if (isTable(old, d)) return childFrame(s.g, old);
  // A block (or an invalidated leaf) where a table is needed: the kernel's BUG_ON(p?d_sect / p?d_bad).
  // `new` is the type the entry needed, PMD_TYPE_TABLE (no frame is allocated, so there is no OA).
  if (old !== 0n) throw new UnsafeChangeError(addr, hw(d), old, PMD_TYPE_TABLE);
  const child = s.pool.alloc(d - 1);
  s.pool.store(frame, index, tableDescriptor(s, child, mapTableAttrs(s, (c.flags & NO_EXEC_MAPPINGS) !== 0)), d);
  return child;
}

/** Writes a leaf (`set_pte`, `pmd_set_huge`, `pud_set_huge`) after the kernel's BUG_ON checks. */
function setLeaf(c: MapCtx, frame: number, index: number, d: number, addr: bigint, desc: bigint): void {
  const { s } = c;
  const old = s.pool.table(frame)[index];
  // A block where a table is (pmd_bad / pud_bad), or a change pgattr_change_is_safe refuses.
  if (isTable(old, d) || !pgattrChangeIsSafe(s.g, s.safeRule, old, desc)) throw new UnsafeChangeError(addr, hw(d), old, desc);
  s.pool.store(frame, index, desc, d);
}

/** `__create_pgd_mapping` / `alloc_init_p4d` loop: levels that only hold tables. */
function initP4d(c: MapCtx, frame: number, d: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  do {
    const next = addrEnd(c.s.g, addr, end, d);
    allocInit(c, frame, entryIndex(c.s.g, addr, d), d, addr, next, phys, prot);
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** `alloc_init_pud` loop: a 1 GiB block with 4K pages when aligned, else a PMD table. */
function initPud(c: MapCtx, frame: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const g = c.s.g;
  do {
    const next = addrEnd(g, addr, end, 2);
    const index = entryIndex(g, addr, 2);
    if (linuxBlockLevel(g, 2) && isAligned(addr | next | phys, entrySize(g, 2)) && (c.flags & NO_BLOCK_MAPPINGS) === 0) {
      setLeaf(c, frame, index, 2, addr, blockDescriptor(c, phys, prot));
    } else {
      allocInit(c, frame, index, 2, addr, next, phys, prot);
    }
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** `alloc_init_cont_pmd` loop: CONT_PMD chunks, CONT when the chunk is aligned and allowed. */
function allocInitContPmdLoop(c: MapCtx, frame: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const g = c.s.g;
  do {
    const next = contAddrEnd(g, addr, end, 1);
    const contOk = isAligned(addr | next | phys, contSize(g, 1)) && (c.flags & NO_CONT_MAPPINGS) === 0;
    initPmd(c, frame, addr, next, phys, contOk ? prot | PTE_CONT : prot);
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** `init_pmd`: a block when aligned and allowed ("try section mapping first"), else a PTE table. */
function initPmd(c: MapCtx, frame: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const g = c.s.g;
  do {
    const next = addrEnd(g, addr, end, 1);
    const index = entryIndex(g, addr, 1);
    if (isAligned(addr | next | phys, entrySize(g, 1)) && (c.flags & NO_BLOCK_MAPPINGS) === 0) {
      setLeaf(c, frame, index, 1, addr, blockDescriptor(c, phys, prot));
    } else {
      allocInit(c, frame, index, 1, addr, next, phys, prot);
    }
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** `alloc_init_cont_pte` loop: CONT_PTE chunks, CONT when the chunk is aligned and allowed. */
function allocInitContPteLoop(c: MapCtx, frame: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const g = c.s.g;
  do {
    const next = contAddrEnd(g, addr, end, 0);
    const contOk = isAligned(addr | next | phys, contSize(g, 0)) && (c.flags & NO_CONT_MAPPINGS) === 0;
    initPte(c, frame, addr, next, phys, contOk ? prot | PTE_CONT : prot);
    phys += next - addr;
    addr = next;
  } while (addr !== end);
}

/** `init_pte`: one page descriptor per entry, `OA | prot`. */
function initPte(c: MapCtx, frame: number, addr: bigint, end: bigint, phys: bigint, prot: bigint): void {
  const g = c.s.g;
  do {
    setLeaf(c, frame, entryIndex(g, addr, 0), 0, addr, encodeOA(g, phys) | prot);
    phys += g.pageSize;
    addr += g.pageSize;
  } while (addr !== end);
}

/** `mk_pmd_sect_prot` + `pfn_pmd`: a block descriptor is `OA | (prot & ~PTE_TABLE_BIT)`. */
function blockDescriptor(c: MapCtx, phys: bigint, prot: bigint): bigint {
  return encodeOA(c.s.g, phys) | (prot & ~PTE_TABLE_BIT);
}
