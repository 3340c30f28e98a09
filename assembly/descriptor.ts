// Descriptor bits and the encoding of output addresses (pgtable-hwdef.h).
import { LPA, LPA2, OA_INPLACE } from "./geometry";

export const PTE_VALID: u64 = 1;
/** Bit 1: table (levels above the leaf) or page (leaf). */
export const PTE_TABLE_BIT: u64 = 2;
export const PTE_TYPE_MASK: u64 = 3;
export const PMD_TYPE_TABLE: u64 = 3;
export const PTE_ATTRINDX_MASK: u64 = 7 << 2;
export const PTE_RDONLY: u64 = 1 << 7;
export const PTE_NG: u64 = 1 << 11;
export const PTE_WRITE: u64 = <u64>1 << 51;
export const PTE_CONT: u64 = <u64>1 << 52;
export const PTE_PXN: u64 = <u64>1 << 53;
export const PMD_TABLE_PXN: u64 = <u64>1 << 59;
/** Bits 59-62 of a table descriptor: PXNTable, UXNTable, APTable. */
export const TABLE_ATTR_MASK: u64 = <u64>0xf << 59;
/**
 * The address field of a table descriptor as this engine writes it, bits [47:12]: the next table's
 * frame << PAGE_SHIFT (frames.ts), which stays below 2^48 in every geometry. With 16K and 64K pages,
 * bits [PAGE_SHIFT-1:12] may hold attributes; shifting by PAGE_SHIFT drops them.
 */
export const TABLE_OA: u64 = 0x0000fffffffff000;
/** AttrIndx of MT_NORMAL and MT_NORMAL_TAGGED. */
const ATTR_NORMAL: u64 = 0 << 2;
const ATTR_NORMAL_TAGGED: u64 = 1 << 2;

/** Every descriptor bit that carries output address. */
export function oaField(): u64 {
  let m = OA_INPLACE;
  if (LPA2) m |= <u64>3 << 8;
  if (LPA) m |= <u64>0xf << 12;
  return m;
}

/** Puts a physical address into the OA field. */
// @ts-ignore: decorator
@inline export function encodeOA(pa: u64): u64 {
  let v = pa & OA_INPLACE;
  if (LPA2) v |= ((pa >> 50) & 3) << 8;
  else if (LPA) v |= ((pa >> 48) & 0xf) << 12;
  return v;
}

/** Reads the physical address out of the OA field. */
// @ts-ignore: decorator
@inline export function decodeOA(desc: u64): u64 {
  let pa = desc & OA_INPLACE;
  if (LPA2) pa |= ((desc >> 8) & 3) << 50;
  else if (LPA) pa |= ((desc >> 12) & 0xf) << 48;
  return pa;
}

function isNormal(desc: u64): bool {
  const a = desc & PTE_ATTRINDX_MASK;
  return a == ATTR_NORMAL || a == ATTR_NORMAL_TAGGED;
}

/** pgattr_change_is_safe() as in v6.1 (0), v6.12 (1), or v7.3 (2: live CONT entries may change). */
export let safeRule: u32 = 0;
/** PTE_SWBITS_MASK (v6.12+): bit 63 and bits 58:55. */
const PTE_SWBITS_MASK: u64 = (<u64>1 << 63) | (<u64>0xf << 55);

/**
 * The kernel's pgattr_change_is_safe() (arch/arm64/mm/mmu.c): may a live entry change from `old`
 * to `neu` without break-before-make?
 */
export function pgattrChangeIsSafe(old: u64, neu: u64): bool {
  // Only these may change on a live mapping.
  let mask: u64 = PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG;
  if (safeRule == 0) {
    // v6.1: creating or taking down a mapping (an all-zero side) is always safe.
    if (old == 0 || neu == 0) return true;
  } else {
    // v6.12+: software bits may change, an invalid side is safe, the PFN may not change.
    mask |= PTE_SWBITS_MASK;
    if ((old & PTE_VALID) == 0 || (neu & PTE_VALID) == 0) return true;
    if (decodeOA(old) != decodeOA(neu)) return false;
  }
  // Live contiguous mappings may not be manipulated at all (before v7.3).
  if (safeRule < 2 && ((old | neu) & PTE_CONT) != 0) return false;
  // Non-global to global is unsafe.
  if (old & ~neu & PTE_NG) return false;
  // Normal <-> Normal-Tagged is a permission change, not a type change.
  if (isNormal(old) && isNormal(neu)) mask |= PTE_ATTRINDX_MASK;
  return ((old ^ neu) & ~mask) == 0;
}
