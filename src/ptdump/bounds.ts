/** The linear map's bounds as each flavour's ptdump markers have them. */
import type { Geometry } from "../geometry.js";
import type { PtdumpFlavour } from "./flavour.js";

/** [start, end): PAGE_OFFSET and PAGE_END. */
export interface LinearMapBounds {
  /** PAGE_OFFSET = -(1 << VA_BITS): where the walk and the "Linear Mapping start" marker are. */
  readonly start: bigint;
  /** PAGE_END: the "Linear Mapping end" marker. */
  readonly end: bigint;
}

/** `VA_BITS_MIN` (memory.h): 6.1 caps VA_BITS > 48 at 48; 6.12+ at 47 with 16K pages, else 48. */
function vaBitsMin(g: Geometry, flavour: PtdumpFlavour): number {
  if (g.vaBits <= 48) return g.vaBits;
  if (flavour === "5.10") return g.vaBits; // 5.10's PAGE_END uses vabits_actual (taken as VA_BITS)
  return (flavour === "6.12" || flavour === "6.15") && g.granule === 16 ? 47 : 48;
}

/**
 * PAGE_OFFSET and PAGE_END without KASAN, the CPU implementing all VA_BITS: PAGE_END is
 * `_PAGE_END(vabits_actual)` in 5.10 (memory.h:170), `_PAGE_END(VA_BITS_MIN)` since (6.1 memory.h:80,
 * 6.12 memory.h:110), with `_PAGE_END(va) = -(1 << (va - 1))`. So with 52-bit VAs, 6.1+ ends the
 * linear map at 0xffff800000000000 (16K: 0xffffc00000000000 in 6.12+), not at PAGE_OFFSET + 2^51.
 */
export function linearMapBounds(g: Geometry, flavour: PtdumpFlavour): LinearMapBounds {
  const top = 1n << 64n;
  return { start: g.ttbr1Base, end: top - (1n << BigInt(vaBitsMin(g, flavour) - 1)) };
}
