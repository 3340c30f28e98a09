/** The DMA zones' limits (arch/arm64/mm/init.c, zone_sizes_init()). */

/** max_zone_phys(): the top of a DMA zone of `bits` address bits. */
export function maxZonePhys(bits: number, startOfDram: bigint, endOfDram: bigint): bigint {
  const u32Max = 0xffff_ffffn;
  let zoneMask = (1n << BigInt(bits)) - 1n;
  if (startOfDram > u32Max) zoneMask = (1n << 64n) - 1n;
  else if (startOfDram > zoneMask) zoneMask = u32Max;
  return (zoneMask < endOfDram - 1n ? zoneMask : endOfDram - 1n) + 1n;
}
