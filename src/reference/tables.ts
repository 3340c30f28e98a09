/**
 * Shared state and small helpers of the reference engine: indexes, the kernel's `p?d_addr_end`,
 * descriptor predicates and table descriptors. Levels are `d`, the distance from the leaf.
 */
import { PMD_TABLE_PXN, PMD_TYPE_TABLE, PTE_CONT } from "../descriptor.js";
import { type Geometry, decodeOA, encodeOA, entrySize, hwLevel, levelShift } from "../geometry.js";
import type { FramePool } from "./frames.js";
import type { SafeRule } from "./safety.js";

/** What every operation of the reference engine works on. */
export interface RefState {
  readonly g: Geometry;
  readonly pool: FramePool;
  /** Attribute bits of every new table descriptor (UXNTable by default). */
  readonly tableAttrs: bigint;
  /** Which `pgattr_change_is_safe` map applies to live leaves. */
  readonly safeRule: SafeRule;
}

/** Frame of the PGD. */
export const PGD_FRAME = 0;

/** 2^64: one past the last VA. */
export const VA_LIMIT = 1n << 64n;

/** Distance from the leaf of the top table. */
export function topLevel(g: Geometry): number {
  return g.levels - 1;
}

/** Number of entries the table at level `d` uses (the top one may use fewer). */
export function entriesAt(g: Geometry, d: number): number {
  return d === topLevel(g) ? g.topEntries : g.entriesPerTable;
}

/** Index of `va` in the table at level `d` (`pgd_index`, `pud_index`, …). */
export function entryIndex(g: Geometry, va: bigint, d: number): number {
  return Number((va >> BigInt(levelShift(g, d))) & BigInt(entriesAt(g, d) - 1));
}

/** First VA of the entry at level `d` that holds `va`. */
export function entryStart(g: Geometry, va: bigint, d: number): bigint {
  return va & ~(entrySize(g, d) - 1n);
}

/** `p?d_addr_end`: the end of the level-`d` entry holding `addr`, or `end` if sooner. */
export function addrEnd(g: Geometry, addr: bigint, end: bigint, d: number): bigint {
  const boundary = (addr | (entrySize(g, d) - 1n)) + 1n;
  return boundary < end ? boundary : end;
}

/** Bytes one contiguous group at level `d` (0 or 1) maps: CONT_PTE_SIZE / CONT_PMD_SIZE. */
export function contSize(g: Geometry, d: number): bigint {
  return entrySize(g, d) * BigInt(g.contEntries[d]);
}

/** `pte_cont_addr_end` / `pmd_cont_addr_end`: the end of the contiguous group holding `addr`, or `end`. */
export function contAddrEnd(g: Geometry, addr: bigint, end: bigint, d: number): bigint {
  const boundary = (addr | (contSize(g, d) - 1n)) + 1n;
  return boundary < end ? boundary : end;
}

/** Whether `x` is a multiple of `size` (a power of two). */
export function isAligned(x: bigint, size: bigint): boolean {
  return (x & (size - 1n)) === 0n;
}

/** Whether `desc`, read at level `d`, points to a next-level table (`p?d_table`). */
export function isTable(desc: bigint, d: number): boolean {
  return d > 0 && (desc & 3n) === PMD_TYPE_TABLE;
}

/** Whether `desc` has the contiguous hint. */
export function isCont(desc: bigint): boolean {
  return (desc & PTE_CONT) !== 0n;
}

/** Table descriptor of `frame` (`__p?d_populate`): OA | 0b11 | attrs. */
export function tableDescriptor(s: RefState, frame: number, attrs: bigint): bigint {
  return encodeOA(s.g, BigInt(frame) << BigInt(s.g.pageShift)) | PMD_TYPE_TABLE | attrs;
}

/** Attributes of a table created by `map`: tableAttrs, plus PXNTable under NO_EXEC_MAPPINGS. */
export function mapTableAttrs(s: RefState, noExec: boolean): bigint {
  return s.tableAttrs | (noExec ? PMD_TABLE_PXN : 0n);
}

/** Frame a table descriptor points to. */
export function childFrame(g: Geometry, desc: bigint): number {
  return Number(decodeOA(g, desc) >> BigInt(g.pageShift));
}

/** Hardware lookup level of `d`, for results and errors. */
export const hw = hwLevel;

/** What a BlockMappingError says, word for word as the WebAssembly engine's wrapper says it. */
export const BLOCK_WHAT = {
  block: "a block mapping stands where page mappings are needed",
  cont: "a contiguous (CONT) entry stands where page mappings are needed",
  partial: "a block or contiguous group lies only partly inside the range",
} as const;
