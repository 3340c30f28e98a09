// map(): the kernel's __create_pgd_mapping, one function per level with the same loop shape:
// mapTop (the pgd loop) -> mapUpper (alloc_init_p4d) -> mapPud (alloc_init_pud) -> mapContPmd
// (alloc_init_cont_pmd) -> initPmd -> mapContPte (alloc_init_cont_pte) -> initPte.
// Each call runs twice: a dry pass that reads, checks the kernel's BUG_ON rules and counts the
// frames (and storage pages) it needs, then, if nothing was refused and they could be reserved, the
// pass that writes. So a refused or unaffordable map changes nothing.
// A PTE table the call fills whole is one arithmetic run of pages: it is kept as an implicit record
// (frames.ts) instead of a page, and a partial write into an implicit table materializes it first.
import { PMD_TABLE_PXN, PMD_TYPE_TABLE, PTE_CONT, PTE_TABLE_BIT, encodeOA, pgattrChangeIsSafe } from "./descriptor";
import { allocFrame, allocImplicitFrame, countWrites, fixedLayout, frameAddr, frameOf, frameSlot, isImplicit, materialize, replaceWithRecord, reserveFrames } from "./frames";
import { CONT_PMDS, CONT_PTES, LPA, LPA2, PAGE_SHIFT, PUD_BLOCKS, TOP, addrEnd, entrySize, levelShift } from "./geometry";
import { E_NOMEM, E_UNSAFE, OK, fail } from "./status";
import { entryAt } from "./table";

export const NO_BLOCK_MAPPINGS: u32 = 1;
export const NO_CONT_MAPPINGS: u32 = 2;
export const NO_EXEC_MAPPINGS: u32 = 4;

/**
 * Whether whole PTE runs become implicit records (default). Off, every PTE table is a real page, as
 * in the kernel and in the native benchmark: for like-for-like measurements. Off also asks frames.ts
 * for the fixed layout (pages at pool + OA), in which no record is ever made.
 */
export let implicitLeaves = true;

/** Attribute bits of every new table descriptor (UXNTable by default, as since v5.13). */
export let tableAttrs: u64 = <u64>1 << 60;

// State of the map call under way.
let mapFlags: u32 = 0;
let dry = true; // the checking pass
let framesNeeded: u64 = 0; // counted by the dry pass
let pagesNeeded: u64 = 0; // frames with real storage and materializations, counted by the dry pass
let status: i32 = OK;

/**
 * The dry pass reads an implicit PTE table through this stand-in address: entry i is
 * dryRecord + (i << PAGE_SHIFT). Never a real table (those are page aligned) and never 0 or 1.
 */
const DRY_IMPLICIT: usize = 8;
let dryRecord: u64 = 0;

/**
 * Where a run of PAs starting at `phys` and `len` bytes long crosses an OA encoding boundary (bit 48
 * with FEAT_LPA, bit 50 with LPA2, above which OA bits live elsewhere in the descriptor): the
 * offset of the boundary, or 0 when it stays on one side and stepping the descriptor steps the OA.
 */
function oaCut(phys: u64, len: u64): u64 {
  if (!LPA && !LPA2) return 0;
  const b: u64 = LPA ? 48 : 50;
  const boundary = ((phys >> b) + 1) << b;
  return boundary - phys < len ? boundary - phys : 0;
}

/** Reads an entry; a table the dry pass has not allocated yet (0) reads as empty. */
// @ts-ignore: decorator
@inline function readEntry(table: usize, d: i32, addr: u64): u64 {
  return table == 0 ? 0 : load<u64>(entryAt(table, d, addr));
}

/** A new table descriptor for `frame` (pXd_populate with the kernel's table prot). */
function tableDescriptor(frame: u32): u64 {
  let v = (<u64>frame << PAGE_SHIFT) | PMD_TYPE_TABLE | tableAttrs;
  if (mapFlags & NO_EXEC_MAPPINGS) v |= PMD_TABLE_PXN;
  return v;
}

/**
 * The table below the level-d entry for `addr`: the one there, or a new one when the entry is
 * empty. A non-table entry there is the kernel's pXd_bad() BUG. Returns its address, 0 for a table
 * the dry pass counts as needed, or 1 after a refusal. Only for tables above the PTE level, which are
 * always real (mapPteTable makes PTE tables).
 */
function childTable(table: usize, d: i32, addr: u64): usize {
  const old = readEntry(table, d, addr);
  if (old == 0) {
    if (dry) {
      framesNeeded++;
      pagesNeeded++;
      return 0;
    }
    const frame = allocFrame(d - 1);
    store<u64>(entryAt(table, d, addr), tableDescriptor(frame));
    countWrites(d, 1);
    return frameAddr(frame);
  }
  if ((old & PTE_TABLE_BIT) != 0 && (old & 1) != 0) return frameAddr(frameOf(old));
  status = fail(E_UNSAFE, addr, d, old, PMD_TYPE_TABLE, 0);
  return 1;
}

/** pXd_set_huge(): a block at level d, checked with pgattr_change_is_safe(). */
function setBlock(table: usize, d: i32, addr: u64, phys: u64, prot: u64): void {
  const neu = encodeOA(phys) | (prot & ~PTE_TABLE_BIT);
  if (dry) {
    const old = readEntry(table, d, addr);
    if (!pgattrChangeIsSafe(old, neu)) status = fail(E_UNSAFE, addr, d, old, neu, 0);
    return;
  }
  store<u64>(entryAt(table, d, addr), neu);
  countWrites(d, 1);
}

/**
 * init_pte(): one page descriptor per page of [addr, end). A run crosses the OA encoding boundary
 * at most once (boundaries lie 2^48 or 2^50 apart): it is written in two parts then.
 */
function initPte(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const cut = LPA || LPA2 ? oaCut(phys, end - addr) : 0;
  if (cut == 0) {
    initPteRun(table, addr, end, phys, prot);
    return;
  }
  initPteRun(table, addr, addr + cut, phys, prot);
  if (status == OK) initPteRun(table, addr + cut, end, phys + cut, prot);
}

/** init_pte() for a run whose OA stays on one side of the encoding boundary. */
// @ts-ignore: decorator
@inline function initPteRun(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const step: u64 = <u64>1 << PAGE_SHIFT;
  const first = entryAt(table, 0, addr);
  let p = first;
  const n = <usize>((end - addr) >> PAGE_SHIFT);
  const stop = p + (n << 3);
  // Within one PTE table the OA never crosses bit 48 or 50, so stepping the descriptor steps the OA.
  let desc = encodeOA(phys) | prot;
  if (dry) {
    if (table == 0) return; // a new table: every old entry is 0, always safe
    const implicit = table == DRY_IMPLICIT;
    for (; p < stop; p += 8, desc += step) {
      const old = implicit ? dryRecord + (<u64>(p - table) << (PAGE_SHIFT - 3)) : load<u64>(p);
      if (!pgattrChangeIsSafe(old, desc)) {
        status = fail(E_UNSAFE, addr + (<u64>(p - first) << (PAGE_SHIFT - 3)), 0, old, desc, 0);
        return;
      }
    }
    return;
  }
  // The hot loop: four stores per turn.
  const stop4 = stop - 24;
  for (; p < stop4; p += 32, desc += step << 2) {
    store<u64>(p, desc);
    store<u64>(p, desc + step, 8);
    store<u64>(p, desc + (step << 1), 16);
    store<u64>(p, desc + step * 3, 24);
  }
  for (; p < stop; p += 8, desc += step) store<u64>(p, desc);
  countWrites(0, <u64>n);
}

// Where the whole contiguous groups of a range lie, as offsets from its start (set by contBody).
let bodyFrom: u64 = 0;
let bodyTo: u64 = 0;

/**
 * The kernel's CONT chunk loops (alloc_init_cont_pte/pmd) step by group and set CONT on a chunk
 * whose VA and PA are aligned at both ends: only whole groups, and only when VA and PA agree modulo
 * the group. Consecutive chunks with the same prot can go to the level below as one run: a partial
 * head, the whole groups, a partial tail. Returns false when no chunk gets CONT; else sets
 * bodyFrom/bodyTo, offsets from addr, which keep the arithmetic right when end is 0 (2^64).
 */
function contBody(addr: u64, end: u64, phys: u64, contSize: u64): bool {
  const contMask = contSize - 1;
  if ((mapFlags & NO_CONT_MAPPINGS) != 0 || ((addr ^ phys) & contMask) != 0) return false;
  const len = end - addr;
  bodyFrom = ((addr + contMask) & ~contMask) - addr;
  bodyTo = (end & ~contMask) - addr; // wraps past len when no boundary lies in range
  return bodyTo <= len && bodyFrom < bodyTo;
}

/** alloc_init_cont_pte(): the PTE table's range in CONT_PTE chunks, CONT where a chunk is whole. */
function mapContPte(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  if (!contBody(addr, end, phys, CONT_PTES << PAGE_SHIFT)) {
    initPte(table, addr, end, phys, prot);
    return;
  }
  const from = bodyFrom;
  const to = bodyTo;
  if (from != 0) initPte(table, addr, addr + from, phys, prot);
  if (status == OK) initPte(table, addr + from, addr + to, phys + from, prot | PTE_CONT);
  if (status == OK && to != end - addr) initPte(table, addr + to, end, phys + to, prot);
}

/**
 * pmd_set_huge() for every PMD entry of [addr, end), all aligned: one block each, checked with
 * pgattr_change_is_safe() by the dry pass (a new table has nothing to check).
 */
// @ts-ignore: decorator
@inline function setPmdBlocks(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const cut = LPA || LPA2 ? oaCut(phys, end - addr) : 0;
  if (cut == 0) {
    setPmdBlocksRun(table, addr, end, phys, prot);
    return;
  }
  setPmdBlocksRun(table, addr, addr + cut, phys, prot);
  if (status == OK) setPmdBlocksRun(table, addr + cut, end, phys + cut, prot);
}

/** setPmdBlocks() for a run whose OA stays on one side of the encoding boundary. */
function setPmdBlocksRun(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const size = entrySize(1);
  const first = entryAt(table, 1, addr);
  const stop = first + <usize>(((end - addr) >> levelShift(1)) << 3);
  let desc = encodeOA(phys) | (prot & ~PTE_TABLE_BIT);
  if (dry) {
    if (table == 0) return;
    for (let p = first; p < stop; p += 8, desc += size) {
      const old = load<u64>(p);
      if (!pgattrChangeIsSafe(old, desc)) {
        status = fail(E_UNSAFE, addr + (<u64>(p - first) << (levelShift(1) - 3)), 1, old, desc, 0);
        return;
      }
    }
    return;
  }
  // Four stores per turn, as initPte.
  let p = first;
  const stop4 = stop - 24;
  for (; p < stop4; p += 32, desc += size << 2) {
    store<u64>(p, desc);
    store<u64>(p, desc + size, 8);
    store<u64>(p, desc + (size << 1), 16);
    store<u64>(p, desc + size * 3, 24);
  }
  for (; p < stop; p += 8, desc += size) store<u64>(p, desc);
  countWrites(1, <u64>((stop - first) >> 3));
}

/** init_pmd(): a PMD block where aligned and allowed, else a PTE table. */
function initPmd(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const size = entrySize(1);
  const mask = size - 1;
  do {
    let next = addrEnd(addr, end, size);
    if (((addr | next | phys) & mask) == 0 && (mapFlags & NO_BLOCK_MAPPINGS) == 0) {
      // Every whole entry from here on is aligned as well: map them as one run of blocks.
      const runEnd = end & ~mask;
      if (runEnd - 1 > next - 1) next = runEnd;
      setPmdBlocks(table, addr, next, phys, prot);
    } else {
      mapPteTable(table, addr, next, phys, prot);
    }
    if (status != OK) return;
    phys += next - addr;
    addr = next;
  } while (addr != end);
}

/**
 * The first entry of the run that alloc_init_cont_pte() writes into a PTE table it fills whole:
 * the range is aligned to every CONT group, so CONT is all or nothing.
 */
function runFirst(addr: u64, end: u64, phys: u64, prot: u64): u64 {
  let p = prot;
  if (contBody(addr, end, phys, CONT_PTES << PAGE_SHIFT)) p |= PTE_CONT;
  return encodeOA(phys) | p;
}

/**
 * The PMD entry for `addr` leads to a PTE table (made when empty; a block there is the kernel's
 * pmd_bad() BUG) and [addr, next) goes into it with alloc_init_cont_pte(). A range that fills the
 * table whole writes one run of pages: the table becomes (or stays) implicit, a record instead of
 * a page. An implicit table written in part is materialized first.
 */
function mapPteTable(pmd: usize, addr: u64, next: u64, phys: u64, prot: u64): void {
  const whole = implicitLeaves && !fixedLayout && next - addr == entrySize(1) && oaCut(phys, next - addr) == 0;
  const old = readEntry(pmd, 1, addr);
  if (old == 0) {
    if (dry) {
      framesNeeded++;
      if (!whole) pagesNeeded++;
      return;
    }
    if (whole) {
      const frame = allocImplicitFrame(0, runFirst(addr, next, phys, prot));
      store<u64>(entryAt(pmd, 1, addr), tableDescriptor(frame));
      countWrites(1, 1);
      countWrites(0, <u64>1 << (PAGE_SHIFT - 3));
      return;
    }
    const frame = allocFrame(0);
    store<u64>(entryAt(pmd, 1, addr), tableDescriptor(frame));
    countWrites(1, 1);
    mapContPte(frameAddr(frame), addr, next, phys, prot);
    return;
  }
  if ((old & PTE_TABLE_BIT) == 0 || (old & 1) == 0) {
    status = fail(E_UNSAFE, addr, 1, old, PMD_TYPE_TABLE, 0);
    return;
  }
  const frame = frameOf(old);
  const slot = frameSlot(frame);
  const implicit = isImplicit(slot);
  if (dry) {
    // The checks read the old entries, computed for an implicit table.
    if (implicit) dryRecord = slot;
    mapContPte(implicit ? DRY_IMPLICIT : <usize>slot, addr, next, phys, prot);
    if (implicit && !whole) pagesNeeded++;
    return;
  }
  if (whole) {
    // Every entry is rewritten as one run: keep (or make) the table implicit.
    replaceWithRecord(frame, runFirst(addr, next, phys, prot));
    countWrites(0, <u64>1 << (PAGE_SHIFT - 3));
    return;
  }
  mapContPte(implicit ? materialize(frame) : <usize>slot, addr, next, phys, prot);
}

/** alloc_init_cont_pmd(): the PMD table's range in CONT_PMD chunks, CONT where a chunk is whole. */
function mapContPmd(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  if (!contBody(addr, end, phys, CONT_PMDS << <u64>levelShift(1))) {
    initPmd(table, addr, end, phys, prot);
    return;
  }
  const from = bodyFrom;
  const to = bodyTo;
  if (from != 0) initPmd(table, addr, addr + from, phys, prot);
  if (status == OK) initPmd(table, addr + from, addr + to, phys + from, prot | PTE_CONT);
  if (status == OK && to != end - addr) initPmd(table, addr + to, end, phys + to, prot);
}

/** alloc_init_pud(): a PUD block where the granule has them and the range is aligned, else a PMD table. */
function mapPud(table: usize, addr: u64, end: u64, phys: u64, prot: u64): void {
  const size = entrySize(2);
  do {
    const next = addrEnd(addr, end, size);
    if (PUD_BLOCKS && ((addr | next | phys) & (size - 1)) == 0 && (mapFlags & NO_BLOCK_MAPPINGS) == 0) {
      setBlock(table, 2, addr, phys, prot);
    } else {
      const child = childTable(table, 2, addr);
      if (status != OK) return;
      mapContPmd(child, addr, next, phys, prot);
    }
    if (status != OK) return;
    phys += next - addr;
    addr = next;
  } while (addr != end);
}

/** The entries of a table at level d over [addr, end), by the rules of that level. */
function mapLevel(table: usize, d: i32, addr: u64, end: u64, phys: u64, prot: u64): void {
  if (d >= 3) mapUpper(table, d, addr, end, phys, prot);
  else if (d == 2) mapPud(table, addr, end, phys, prot);
  else if (d == 1) mapContPmd(table, addr, end, phys, prot);
  else mapContPte(table, addr, end, phys, prot);
}

/** alloc_init_p4d() and the like: levels that only hold tables. */
function mapUpper(table: usize, d: i32, addr: u64, end: u64, phys: u64, prot: u64): void {
  const size = entrySize(d);
  do {
    const next = addrEnd(addr, end, size);
    const child = childTable(table, d, addr);
    if (status != OK) return;
    mapLevel(child, d - 1, addr, next, phys, prot);
    if (status != OK) return;
    phys += next - addr;
    addr = next;
  } while (addr != end);
}

/**
 * __create_pgd_mapping_locked(): one top-level entry at a time, each handed to the rules of the
 * top level. With folded levels (2 or 3 levels) this is why no CONT reaches the top table.
 */
function mapTop(addr: u64, end: u64, phys: u64, prot: u64): void {
  const size = entrySize(TOP);
  const pgd = frameAddr(0);
  do {
    const next = addrEnd(addr, end, size);
    mapLevel(pgd, TOP, addr, next, phys, prot);
    if (status != OK) return;
    phys += next - addr;
    addr = next;
  } while (addr != end);
}

/** Maps [va, va + size) to pa with prot and flags; OK, or a status with ERR filled in. */
export function mapRange(va: u64, pa: u64, size: u64, prot: u64, flags: u32): i32 {
  mapFlags = flags;
  status = OK;
  framesNeeded = 0;
  pagesNeeded = 0;
  dry = true;
  mapTop(va, va + size, pa, prot);
  if (status != OK) return status;
  if (!reserveFrames(framesNeeded, pagesNeeded)) return fail(E_NOMEM, va, TOP, 0, framesNeeded, 0);
  dry = false;
  mapTop(va, va + size, pa, prot);
  return status;
}
