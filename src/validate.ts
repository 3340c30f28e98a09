/**
 * Argument checks shared by both engines: a bad argument is an InvalidArgumentError that names it,
 * thrown before the engine is touched.
 */
import { MAP_FLAGS_MASK, PTE_CONT, PTE_TABLE_BIT, PTE_TYPE_PAGE } from "./descriptor.js";
import { InvalidArgumentError } from "./errors.js";
import { type Geometry, SUPPORTED_VA_BITS, geometry, oaFieldMask } from "./geometry.js";
import type { ChangeMode, PageTableOptions, RangesOptions, SafeRule, WalkManyResult } from "./types.js";
import { PMD_TABLE_UXN } from "./descriptor.js";

const U64_LIMIT = 1n << 64n;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Checks a 64-bit unsigned bigint (or, with `allowLimit`, exactly 2^64). */
export function checkU64(name: string, v: unknown, allowLimit = false): asserts v is bigint {
  if (typeof v !== "bigint") throw new InvalidArgumentError(name, `must be a bigint, got ${typeof v}`);
  if (v < 0n || v > U64_LIMIT || (v === U64_LIMIT && !allowLimit)) {
    throw new InvalidArgumentError(name, `${v} is not a 64-bit unsigned value`);
  }
}

/** What a page table is built with, once its options are checked. */
export interface CheckedOptions {
  geometry: Geometry;
  tableAttrs: bigint;
  safeRule: SafeRule;
}

/** Checks the options of a new page table. */
export function checkOptions(o: PageTableOptions): CheckedOptions {
  const granule = o.granule ?? 4;
  const vaBits = o.vaBits ?? 48;
  if (!(granule in SUPPORTED_VA_BITS)) throw new InvalidArgumentError("granule", `${granule}K is not 4, 16 or 64`);
  if (!SUPPORTED_VA_BITS[granule].includes(vaBits)) {
    throw new InvalidArgumentError("vaBits", `${vaBits} is not offered with ${granule}K pages (${SUPPORTED_VA_BITS[granule].join(", ")})`);
  }
  const g = geometry(granule, vaBits);
  const tableAttrs = o.tableAttrs ?? PMD_TABLE_UXN;
  checkU64("tableAttrs", tableAttrs);
  if (tableAttrs & (oaFieldMask(g) | 3n)) throw new InvalidArgumentError("tableAttrs", "may not carry output-address bits or bits [1:0]");
  const safeRule = o.safeRule ?? "v6.1";
  if (safeRule !== "v6.1" && safeRule !== "v6.12" && safeRule !== "v7.3") throw new InvalidArgumentError("safeRule", `${String(safeRule)} is not "v6.1", "v6.12" or "v7.3"`);
  return { geometry: g, tableAttrs, safeRule };
}

/** Checks the arguments of walkMany and returns where its results go. */
export function checkWalkMany(vas: unknown, out?: WalkManyResult): WalkManyResult {
  if (!(vas instanceof BigUint64Array)) throw new InvalidArgumentError("vas", "must be a BigUint64Array");
  if (out === undefined) return { pa: new BigUint64Array(vas.length), level: new Int8Array(vas.length) };
  if (!(out.pa instanceof BigUint64Array) || !(out.level instanceof Int8Array) || out.pa.length < vas.length || out.level.length < vas.length) {
    throw new InvalidArgumentError("out", `must hold a BigUint64Array and an Int8Array of at least ${vas.length} elements`);
  }
  return out;
}

/** Checks the mode of setMemory. */
export function checkMode(mode: unknown): asserts mode is ChangeMode {
  if (mode !== "classic" && mode !== "split" && mode !== "leaf") throw new InvalidArgumentError("mode", `${String(mode)} is not "classic", "split" or "leaf"`);
}

/** The options of `ranges`, checked, with their defaults. */
export function checkRanges(g: Geometry, o: RangesOptions): Required<RangesOptions> {
  const start = o.start ?? g.ttbr1Base;
  const end = o.end ?? U64_LIMIT;
  const mask = o.mask ?? ~oaFieldMask(g) & (U64_LIMIT - 1n);
  checkU64("start", start);
  checkU64("end", end, true);
  checkU64("mask", mask);
  if (start < g.ttbr1Base) throw new InvalidArgumentError("start", `0x${start.toString(16)} is below the TTBR1 range`);
  if (end <= start) throw new InvalidArgumentError("end", "must be above start");
  return { start, end, mask, exact: o.exact ?? false };
}

/** Checks a VA range: page aligned, non-empty, inside the TTBR1 range. */
export function checkVaRange(g: Geometry, va: bigint, size: bigint): void {
  checkU64("va", va);
  checkU64("size", size);
  if (size === 0n) throw new InvalidArgumentError("size", "is 0");
  if (size % g.pageSize !== 0n) throw new InvalidArgumentError("size", `${hex(size)} is not a multiple of the ${g.granule}K page`);
  if (va % g.pageSize !== 0n) throw new InvalidArgumentError("va", `${hex(va)} is not aligned to the ${g.granule}K page`);
  if (va < g.ttbr1Base) {
    throw new InvalidArgumentError("va", `${hex(va)} is below the TTBR1 range, which starts at ${hex(g.ttbr1Base)} with ${g.vaBits}-bit VAs`);
  }
  if (va + size > U64_LIMIT) throw new InvalidArgumentError("size", `va ${hex(va)} + size ${hex(size)} runs past the top of the address space`);
}

/** Checks the arguments of `map`. */
export function checkMap(g: Geometry, va: bigint, pa: bigint, size: bigint, prot: bigint, flags: number): void {
  checkVaRange(g, va, size);
  checkU64("pa", pa);
  checkU64("prot", prot);
  if (pa % g.pageSize !== 0n) throw new InvalidArgumentError("pa", `${hex(pa)} is not aligned to the ${g.granule}K page`);
  const paLimit = 1n << BigInt(g.paBits);
  if (pa + size > paLimit) {
    throw new InvalidArgumentError("pa", `${hex(pa)} + size ${hex(size)} is beyond the ${g.paBits}-bit physical address range`);
  }
  if ((prot & 3n) !== PTE_TYPE_PAGE) {
    throw new InvalidArgumentError("prot", `${hex(prot)} is not a page template: bits 1:0 must be 0b11 (PTE_TYPE_PAGE)`);
  }
  const oa = prot & oaFieldMask(g);
  if (oa !== 0n) throw new InvalidArgumentError("prot", `${hex(prot)} has output-address bits set (${hex(oa)})`);
  if (prot & PTE_CONT) throw new InvalidArgumentError("prot", "has the CONT bit; the engine sets it where the kernel would");
  if (!Number.isInteger(flags) || (flags & ~MAP_FLAGS_MASK) !== 0 || flags < 0) {
    throw new InvalidArgumentError("flags", `${flags} has bits other than NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS and NO_EXEC_MAPPINGS`);
  }
}

/** Checks the masks of `setMemory`. */
export function checkChangeMasks(g: Geometry, set: bigint, clear: bigint): void {
  for (const [name, m] of [["set", set], ["clear", clear]] as const) {
    checkU64(name, m);
    if (m & oaFieldMask(g)) throw new InvalidArgumentError(name, `${hex(m)} touches output-address bits`);
    if (m & PTE_TABLE_BIT) throw new InvalidArgumentError(name, `${hex(m)} touches bit 1 (table/page type)`);
    if (m & PTE_CONT) throw new InvalidArgumentError(name, `${hex(m)} touches the CONT bit`);
  }
}
