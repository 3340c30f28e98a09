/**
 * Translation-table geometry for a granule and a VA size, derived from one formula
 * (`ARM64_HW_PGTABLE_LEVEL_SHIFT` in `pgtable-hwdef.h`). Levels are counted by their distance
 * from the leaf, `d`: 0 = PTE, 1 = PMD, 2 = PUD, 3 = P4D or PGD, 4 = PGD with five levels.
 */

/** Granule sizes in KiB. */
export type Granule = 4 | 16 | 64;

/** The VA sizes Linux offers for each granule (`arch/arm64/Kconfig`, ARM64_VA_BITS_*). */
export const SUPPORTED_VA_BITS: Readonly<Record<Granule, readonly number[]>> = {
  4: [39, 48, 52],
  16: [36, 47, 48, 52],
  64: [42, 48, 52],
};

/** Everything the engines and reports need to know about one configuration. */
export interface Geometry {
  readonly granule: Granule;
  readonly vaBits: number;
  readonly pageShift: number;
  readonly pageSize: bigint;
  /** Bits of VA resolved per level: PAGE_SHIFT - 3. */
  readonly bitsPerLevel: number;
  /** Number of levels (2 to 5). */
  readonly levels: number;
  /** Entries in a full table: PAGE_SIZE / 8. */
  readonly entriesPerTable: number;
  /** Entries the top table uses. */
  readonly topEntries: number;
  /** PA size in bits: 48, or 52 with 52-bit VAs. */
  readonly paBits: number;
  /** 52-bit addresses with 4K/16K pages: OA[51:50] in descriptor bits 9:8, no SH field. */
  readonly lpa2: boolean;
  /** 52-bit addresses with 64K pages: OA[51:48] in descriptor bits 15:12. */
  readonly lpa: boolean;
  /** Lowest TTBR1 address: -(1 << VA_BITS), which is also PAGE_OFFSET. */
  readonly ttbr1Base: bigint;
  /** Entries in a contiguous group at d = 0 and d = 1. */
  readonly contEntries: readonly [number, number];
}

/** Shift of the VA bits that index the table at distance `d` from the leaf. */
export function levelShift(g: Pick<Geometry, "pageShift" | "bitsPerLevel">, d: number): number {
  return g.pageShift + d * g.bitsPerLevel;
}

/** Bytes one entry at distance `d` maps. */
export function entrySize(g: Pick<Geometry, "pageShift" | "bitsPerLevel">, d: number): bigint {
  return 1n << BigInt(levelShift(g, d));
}

/** The geometry of a granule and VA size; throws a RangeError for a pair Linux does not offer. */
export function geometry(granule: Granule = 4, vaBits = 48): Geometry {
  const allowed = SUPPORTED_VA_BITS[granule];
  if (!allowed) throw new RangeError(`granule: ${granule}K is not 4, 16 or 64`);
  if (!allowed.includes(vaBits)) {
    throw new RangeError(`vaBits: ${vaBits} is not offered with ${granule}K pages (${allowed.join(", ")})`);
  }
  const pageShift = { 4: 12, 16: 14, 64: 16 }[granule];
  const bitsPerLevel = pageShift - 3;
  const levels = Math.ceil((vaBits - pageShift) / bitsPerLevel);
  const topShift = pageShift + (levels - 1) * bitsPerLevel;
  const big = vaBits === 52;
  return {
    granule,
    vaBits,
    pageShift,
    pageSize: 1n << BigInt(pageShift),
    bitsPerLevel,
    levels,
    entriesPerTable: 1 << bitsPerLevel,
    topEntries: 2 ** (vaBits - topShift),
    paBits: big ? 52 : 48,
    lpa2: big && granule !== 64,
    lpa: big && granule === 64,
    ttbr1Base: (1n << 64n) - (1n << BigInt(vaBits)),
    contEntries: { 4: [16, 16], 16: [128, 32], 64: [32, 32] }[granule] as [number, number],
  };
}

/** Hardware lookup level of distance `d` (3 = leaf; -1 for the top of five levels). */
export function hwLevel(d: number): number {
  return 3 - d;
}

/** Whether Linux writes block descriptors at distance `d` (PMD always, PUD with 4K pages). */
export function linuxBlockLevel(g: Geometry, d: number): boolean {
  return d === 1 || (d === 2 && g.granule === 4);
}

/** Whether the architecture accepts a block descriptor at distance `d`. */
export function hwBlockLevel(g: Geometry, d: number): boolean {
  if (g.granule === 4) return d === 1 || d === 2 || (d === 3 && g.paBits === 52);
  return d === 1 || (d === 2 && g.paBits === 52);
}

/** Mask of the OA bits a descriptor holds in place (bits [47 or 49 : PAGE_SHIFT]). */
export function inPlaceOaMask(g: Geometry): bigint {
  const top = g.lpa2 ? 50n : 48n;
  return ((1n << top) - 1n) & ~(g.pageSize - 1n);
}

/** Every descriptor bit that carries output address. */
export function oaFieldMask(g: Geometry): bigint {
  let m = inPlaceOaMask(g);
  if (g.lpa2) m |= 3n << 8n;
  if (g.lpa) m |= 0xfn << 12n;
  return m;
}

/** Puts a physical address into a descriptor's OA field. */
export function encodeOA(g: Geometry, pa: bigint): bigint {
  let v = pa & inPlaceOaMask(g);
  if (g.lpa2) v |= ((pa >> 50n) & 3n) << 8n;
  if (g.lpa) v |= ((pa >> 48n) & 0xfn) << 12n;
  return v;
}

/** Reads the physical address out of a descriptor's OA field. */
export function decodeOA(g: Geometry, desc: bigint): bigint {
  let pa = desc & inPlaceOaMask(g);
  if (g.lpa2) pa |= ((desc >> 8n) & 3n) << 50n;
  if (g.lpa) pa |= ((desc >> 12n) & 0xfn) << 48n;
  return pa;
}
