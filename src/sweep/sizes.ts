/** The sweep's memory sizes: the default 1 GiB to 64 TiB in x4 steps, and what a size may be. */
import { formatSize } from "../units.js";

const GiB = 1n << 30n;

/** The default sizes: 1 GiB to 64 TiB in x4 steps. */
export const DEFAULT_SIZES: readonly bigint[] = Array.from({ length: 9 }, (_, i) => GiB << BigInt(2 * i));

/** Checks a sweep size: at least 1 GiB, a multiple of 2 MiB, at most 64 TiB (a 48-bit linear map's half). */
export function checkSweepSize(size: bigint): void {
  if (size < GiB || size % (2n << 20n) !== 0n || size > 64n << 40n) {
    throw new RangeError(`size ${formatSize(size)}: sweep sizes go from 1G to 64T in multiples of 2M`);
  }
}
