/**
 * v6.18's `split_kernel_leaf_mapping` (arch/arm64/mm/mmu.c, with BBML2_NOABORT): at a boundary
 * address, split the leaves that straddle it until the boundary is a leaf boundary. Splits always
 * produce contiguous children (`to_cont = true`), so only the group holding the boundary loses CONT.
 */
import { PMD_TABLE_PXN, PTE_CONT, PTE_PXN, PTE_VALID } from "../descriptor.js";
import { encodeOA, decodeOA, entrySize, oaFieldMask } from "../geometry.js";
import {
  PGD_FRAME,
  type RefState,
  VA_LIMIT,
  childFrame,
  contSize,
  entryIndex,
  isAligned,
  isCont,
  isTable,
  tableDescriptor,
  topLevel,
} from "./tables.js";

/** `split_kernel_leaf_mapping(start, end)`: splits at `start`, then at `end`. */
export function splitKernelLeafMapping(s: RefState, start: bigint, end: bigint): void {
  splitAt(s, start);
  splitAt(s, end);
}

/**
 * `split_kernel_leaf_mapping_locked(addr)`: from the top down, stop once `addr` is aligned to the
 * level (CONT_PMD / CONT_PTE size at d = 1 / 0) or the entry is not present (bit 0 clear); split a
 * block into a table of smaller (CONT) leaves, and a CONT group into plain entries.
 */
function splitAt(s: RefState, addr: bigint): void {
  const g = s.g;
  if (addr >= VA_LIMIT) return; // 2^64 is aligned to every level
  let frame = PGD_FRAME;
  for (let d = topLevel(g); d >= 0; d--) {
    const stopAlign = d >= 2 ? entrySize(g, d) : contSize(g, d);
    if (isAligned(addr, stopAlign)) return;
    const index = entryIndex(g, addr, d);
    const desc = s.pool.table(frame)[index];
    if ((desc & PTE_VALID) === 0n) return; // !p?d_present: nothing to split
    if (isTable(desc, d)) {
      frame = childFrame(g, desc);
      continue;
    }
    if (d === 0) {
      if (isCont(desc)) clearContGroup(s, frame, index, 0); // split_contpte
      return;
    }
    if (d === 1) {
      if (isCont(desc)) clearContGroup(s, frame, index, 1); // split_contpmd
      if (isAligned(addr, entrySize(g, 1))) return;
    }
    frame = splitBlock(s, frame, index, d, desc); // split_pud / split_pmd with to_cont
  }
}

/** `split_contpte` / `split_contpmd`: clear CONT on every entry of the aligned group holding `index`. */
function clearContGroup(s: RefState, frame: number, index: number, d: number): void {
  const n = s.g.contEntries[d];
  const first = index - (index % n);
  const table = s.pool.table(frame);
  for (let i = first; i < first + n; i++) s.pool.store(frame, i, table[i] & ~PTE_CONT, d);
}

/**
 * `split_pud` / `split_pmd` (to_cont = true): a new table at d - 1 whose entries map the block's
 * range with the block's attributes, as CONT blocks (d - 1 = 1) or CONT pages (d - 1 = 0); then the
 * block's entry becomes a table descriptor carrying PXNTable if the block had PXN. Returns the new frame.
 */
function splitBlock(s: RefState, frame: number, index: number, d: number, block: bigint): number {
  const g = s.g;
  const child = s.pool.alloc(d - 1);
  const step = entrySize(g, d - 1);
  let prot = block & ~oaFieldMask(g) & ~PTE_CONT & ~3n;
  prot |= d - 1 === 0 ? 3n : 1n; // PTE_TYPE_PAGE for pages, PMD_TYPE_SECT for blocks
  if (d - 1 <= 1) prot |= PTE_CONT; // to_cont (only PTE and PMD leaves have a contiguous hint)
  const pa = decodeOA(g, block) & ~(entrySize(g, d) - 1n);
  for (let i = 0; i < g.entriesPerTable; i++) s.pool.store(child, i, encodeOA(g, pa + BigInt(i) * step) | prot, d - 1);
  // tableprot = TYPE_TABLE | TABLE_UXN | TABLE_AF (modelled by tableAttrs) | TABLE_PXN if the block had PXN
  const attrs = s.tableAttrs | ((block & PTE_PXN) !== 0n ? PMD_TABLE_PXN : 0n);
  s.pool.store(frame, index, tableDescriptor(s, child, attrs), d);
  return child;
}
