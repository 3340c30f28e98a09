/**
 * The kernel's rule for rewriting a live leaf (`pgattr_change_is_safe` in arch/arm64/mm/mmu.c), in
 * its v6.1 form and its v6.12+ form.
 */
import {
  MT_NORMAL,
  MT_NORMAL_TAGGED,
  PTE_ATTRINDX_MASK,
  PTE_CONT,
  PTE_NG,
  PTE_PXN,
  PTE_RDONLY,
  PTE_VALID,
  PTE_WRITE,
  attrIndx,
} from "../descriptor.js";
import { type Geometry, decodeOA } from "../geometry.js";

function isNormal(desc: bigint): boolean {
  const a = desc & PTE_ATTRINDX_MASK;
  return a === attrIndx(MT_NORMAL) || a === attrIndx(MT_NORMAL_TAGGED);
}

/** Which kernel's `pgattr_change_is_safe` to apply. */
export type { SafeRule } from "../types.js";
import type { SafeRule } from "../types.js";

/** PTE_SWBITS_MASK (v6.12+): bit 63 and bits 58:55, software bits that may change on a live entry. */
const PTE_SWBITS_MASK = (1n << 63n) | (0xfn << 55n);

/**
 * `pgattr_change_is_safe(old, new)`: whether a live leaf may go from `old` to `new` without
 * break-before-make. v6.1: safe if either side is exactly 0. v6.12 and later: safe if either side is
 * invalid (bit 0 clear), the OA may not change, and the software bits may; v7.3 as v6.12 but the
 * contiguous bit may be live too. Then: no CONT on either side (before v7.3), nG may not go from set to clear, and only PXN, RDONLY, WRITE (DBM), nG — and AttrIndx
 * between Normal and Normal-Tagged — may change.
 */
export function pgattrChangeIsSafe(g: Geometry, rule: SafeRule, oldDesc: bigint, newDesc: bigint): boolean {
  let mask = PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG;
  if (rule === "v6.1") {
    // creating or taking down mappings is always safe
    if (oldDesc === 0n || newDesc === 0n) return true;
  } else {
    mask |= PTE_SWBITS_MASK;
    // creating or taking down mappings is always safe
    if ((oldDesc & PTE_VALID) === 0n || (newDesc & PTE_VALID) === 0n) return true;
    // a live entry's pfn should not change
    if (decodeOA(g, oldDesc) !== decodeOA(g, newDesc)) return false;
  }
  // live contiguous mappings may not be manipulated at all (the check is gone in v7.3)
  if (rule !== "v7.3" && (oldDesc | newDesc) & PTE_CONT) return false;
  // transitioning from non-global to global is unsafe
  if (oldDesc & ~newDesc & PTE_NG) return false;
  // Normal <-> Normal-Tagged is a permission change
  if (isNormal(oldDesc) && isNormal(newDesc)) mask |= PTE_ATTRINDX_MASK;
  return ((oldDesc ^ newDesc) & ~mask) === 0n;
}
