/**
 * Argument checks shared by both engines: a bad argument is an InvalidArgumentError that names it,
 * thrown before the engine is touched.
 */
import { MAP_FLAGS_MASK, PTE_CONT, PTE_TABLE_BIT, PTE_TYPE_PAGE } from "./descriptor.js";
import { InvalidArgumentError } from "./errors.js";
import { type Geometry, oaFieldMask } from "./geometry.js";

const U64_LIMIT = 1n << 64n;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function checkU64(name: string, v: bigint): void {
  if (typeof v !== "bigint") throw new InvalidArgumentError(name, `must be a bigint, got ${typeof v}`);
  if (v < 0n || v >= U64_LIMIT) throw new InvalidArgumentError(name, `${v} is not a 64-bit unsigned value`);
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
