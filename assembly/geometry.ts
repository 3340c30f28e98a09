// Translation-table geometry of the configured granule and VA size, from one formula.
// Levels are counted by distance from the leaf, d: 0 = PTE, 1 = PMD, 2 = PUD, 3 = P4D/PGD, 4 = PGD.

/** PAGE_SHIFT: 12, 14 or 16. */
export let PAGE_SHIFT: u32 = 12;
/** VA bits resolved per level: PAGE_SHIFT - 3. */
export let BITS_PER_LEVEL: u32 = 9;
/** Number of levels; the top table is at d = LEVELS - 1. */
export let LEVELS: i32 = 4;
/** d of the top table. */
export let TOP: i32 = 3;
/** Entries the top table uses. */
export let TOP_ENTRIES: u64 = 512;
/** Lowest TTBR1 address: -(1 << VA_BITS). */
export let TTBR1_BASE: u64 = 0xffff000000000000;
/** Linux writes PUD (d = 2) blocks only with 4K pages. */
export let PUD_BLOCKS: bool = true;
/** The architecture also accepts blocks at d = 2 (16K/64K) or d = 3 (4K) with 52-bit OAs. */
export let PA52: bool = false;
/** 52-bit OA with 4K/16K: OA[51:50] in descriptor bits 9:8. */
export let LPA2: bool = false;
/** 52-bit OA with 64K: OA[51:48] in descriptor bits 15:12. */
export let LPA: bool = false;
/** Entries in a contiguous group at d = 0 (CONT_PTES). */
export let CONT_PTES: u64 = 16;
/** Entries in a contiguous group at d = 1 (CONT_PMDS). */
export let CONT_PMDS: u64 = 16;
/** OA bits held in place: [47 or 49 : PAGE_SHIFT]. */
export let OA_INPLACE: u64 = 0x0000fffffffff000;

/** Sets the geometry; returns false for a pair Linux does not offer. */
export function configureGeometry(pageShift: u32, vaBits: u32): bool {
  if (pageShift != 12 && pageShift != 14 && pageShift != 16) return false;
  if (vaBits < 36 || vaBits > 52) return false;
  PAGE_SHIFT = pageShift;
  BITS_PER_LEVEL = pageShift - 3;
  LEVELS = <i32>((vaBits - pageShift + BITS_PER_LEVEL - 1) / BITS_PER_LEVEL);
  TOP = LEVELS - 1;
  TOP_ENTRIES = <u64>1 << (vaBits - levelShift(TOP));
  TTBR1_BASE = vaBits == 64 ? 0 : <u64>0 - (<u64>1 << vaBits);
  PUD_BLOCKS = pageShift == 12;
  PA52 = vaBits == 52;
  LPA2 = PA52 && pageShift != 16;
  LPA = PA52 && pageShift == 16;
  CONT_PTES = pageShift == 12 ? 16 : pageShift == 14 ? 128 : 32;
  CONT_PMDS = pageShift == 12 ? 16 : 32;
  const top: u64 = LPA2 ? 50 : 48;
  OA_INPLACE = ((<u64>1 << top) - 1) & ~((<u64>1 << pageShift) - 1);
  return true;
}

/** Shift of the VA bits indexing a table at distance d from the leaf. */
// @ts-ignore: decorator
@inline export function levelShift(d: i32): u32 {
  return PAGE_SHIFT + <u32>d * BITS_PER_LEVEL;
}

/** Bytes one entry at distance d maps. */
// @ts-ignore: decorator
@inline export function entrySize(d: i32): u64 {
  return <u64>1 << levelShift(d);
}

/** Index of va's entry in a table at distance d (the top table uses fewer entries). */
// @ts-ignore: decorator
@inline export function entryIndex(va: u64, d: i32): u64 {
  const mask: u64 = d == TOP ? TOP_ENTRIES - 1 : (<u64>1 << BITS_PER_LEVEL) - 1;
  return (va >> levelShift(d)) & mask;
}

/** The kernel's pXd_addr_end: the next boundary of `size`, or end, whichever comes first. */
// @ts-ignore: decorator
@inline export function addrEnd(addr: u64, end: u64, size: u64): u64 {
  const boundary = (addr + size) & ~(size - 1);
  // `- 1` on both sides lets end = 0 stand for 2^64, as in the kernel.
  return boundary - 1 < end - 1 ? boundary : end;
}

/** Whether the architecture accepts a block descriptor at distance d. */
export function hwBlockLevel(d: i32): bool {
  if (d == 1) return true;
  if (d == 2) return PUD_BLOCKS || PA52;
  return d == 3 && PUD_BLOCKS && PA52;
}
