/**
 * `setMemory`: the kernel's `__change_memory_common` (arch/arm64/mm/pageattr.c). Every leaf in range
 * becomes `(old & ~clear) | set`, either page by page as `apply_to_page_range` did before v6.18
 * (`classic`), or after v6.18's `split_kernel_leaf_mapping` with leaves changed in place (`split`).
 */
import { BlockMappingError, NotMappedError } from "../errors.js";
import type { ChangeMode } from "../types.js";
import { splitKernelLeafMapping } from "./split.js";
import { entrySize } from "../geometry.js";
import { BLOCK_WHAT, PGD_FRAME, type RefState, addrEnd, childFrame, entryIndex, hw, isCont, isTable, topLevel } from "./tables.js";

/** The masks of one change. */
interface Masks {
  readonly set: bigint;
  readonly clear: bigint;
}

/** `__change_memory_common(va, size, set, clear)` in the given mode. */
export function changeMemoryCommon(s: RefState, va: bigint, size: bigint, set: bigint, clear: bigint, mode: ChangeMode): void {
  const end = va + size;
  if (mode === "classic") {
    applyToPageRange(s, PGD_FRAME, topLevel(s.g), va, end, { set, clear });
  } else if (mode === "leaf") {
    updateRangeProt(s, PGD_FRAME, topLevel(s.g), va, end, undefined); // the checks first: nothing is written on a refusal
    updateRangeProt(s, PGD_FRAME, topLevel(s.g), va, end, { set, clear });
  } else {
    splitKernelLeafMapping(s, va, end);
    updateRangeProt(s, PGD_FRAME, topLevel(s.g), va, end, { set, clear });
  }
}

/**
 * `apply_to_page_range` + `change_page_range` (v6.1): every page must be a non-CONT PTE under a table
 * path. A block, a CONT PTE or an empty entry refuses the call (the caller rolls back).
 */
function applyToPageRange(s: RefState, frame: number, d: number, addr: bigint, end: bigint, m: Masks): void {
  const g = s.g;
  const table = s.pool.table(frame);
  do {
    const next = addrEnd(g, addr, end, d);
    const index = entryIndex(g, addr, d);
    const desc = table[index];
    if (desc === 0n) throw new NotMappedError(addr, hw(d));
    if (d > 0) {
      if (!isTable(desc, d)) throw new BlockMappingError(addr, hw(d), desc, BLOCK_WHAT.block);
      applyToPageRange(s, childFrame(g, desc), d - 1, addr, next, m);
    } else {
      if (isCont(desc)) throw new BlockMappingError(addr, hw(d), desc, BLOCK_WHAT.cont);
      s.pool.store(frame, index, (desc & ~m.clear) | m.set, 0);
    }
    addr = next;
  } while (addr !== end);
}

/**
 * `update_range_prot`'s page-table walk with `pageattr_p?d_entry` (v6.18): after the splits, blocks
 * lie wholly in the range and are changed in place, like pages; CONT bits stay. An empty entry is
 * NotMappedError. As docs/engine.md says, every leaf met is changed whole, including an invalidated
 * block the range covers only in part (it is not "present", so it was not split); v6.18 itself
 * would leave it alone (`pageattr_p?d_entry` acts on `p?d_sect` only). Without masks it only
 * checks, as leaf mode does before writing: every entry mapped, no block covered in part
 * (`pageattr_p?d_entry`: WARN, -EINVAL).
 */
function updateRangeProt(s: RefState, frame: number, d: number, addr: bigint, end: bigint, m: Masks | undefined): void {
  const g = s.g;
  const table = s.pool.table(frame);
  do {
    const next = addrEnd(g, addr, end, d);
    const index = entryIndex(g, addr, d);
    const desc = table[index];
    if (desc === 0n) throw new NotMappedError(addr, hw(d));
    if (isTable(desc, d)) {
      updateRangeProt(s, childFrame(g, desc), d - 1, addr, next, m);
    } else if (m) {
      s.pool.store(frame, index, (desc & ~m.clear) | m.set, d);
    } else if (d > 0 && next - addr !== entrySize(g, d)) {
      throw new BlockMappingError(addr, hw(d), desc, BLOCK_WHAT.block);
    }
    addr = next;
  } while (addr !== end);
}
