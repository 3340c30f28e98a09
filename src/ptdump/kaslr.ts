/**
 * KASLR's linear-map offset read off a real dump. With KASLR, arm64_memblock_init() lowers
 * memstart_addr by ARM64_MEMSTART_ALIGN times a random number, so every physical address appears
 * that much higher in the linear map; the lowest mapped line of the Linear Mapping section is the
 * start of the lowest memblock range either way. The offset is how far the real one moved.
 */
import type { PtdumpSection } from "./parse.js";

/** The lowest VA of a line with attributes (a mapping, not a hole) in a Linear Mapping section. */
export function firstMappedVa(section: PtdumpSection): bigint | undefined {
  for (const r of section.ranges) if (r.attributes.length > 0) return r.start;
  return undefined;
}

/**
 * The KASLR offset: the real section's lowest mapping minus `unmovedVa`, the VA the model gives
 * the same memory without KASLR. Undefined when the real dump maps nothing, or when the difference
 * is not a non-negative multiple of `align` (ARM64_MEMSTART_ALIGN), i.e. not a KASLR move.
 */
export function kaslrOffsetFromDump(real: PtdumpSection, unmovedVa: bigint, align: bigint): bigint | undefined {
  const va = firstMappedVa(real);
  if (va === undefined) return undefined;
  const off = va - unmovedVa;
  return off >= 0n && off % align === 0n ? off : undefined;
}
