/** ptdump's size column: `delta = (addr - start) >> 10`, then /1024 while exact, units "KMGTPE". */

const UNITS = "KMGTPE";
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** The value and unit note_page() prints for [start, end) (unsigned 64-bit arithmetic, as the kernel). */
export function ptdumpSize(start: bigint, end: bigint): { value: bigint; unit: string } {
  let delta = U64(end - start) >> 10n;
  let u = 0;
  while ((delta & 1023n) === 0n && u < UNITS.length - 1) {
    delta >>= 10n;
    u++;
  }
  return { value: delta, unit: UNITS[u] };
}

/** The size as printed, without the `%9lu` padding: "2M", "23808K", "130560G". */
export function ptdumpSizeText(start: bigint, end: bigint): string {
  const { value, unit } = ptdumpSize(start, end);
  return `${value}${unit}`;
}

/** Bytes of a printed size ("2M" → 2097152); undefined when the text is not `<digits><K..E>`. */
export function sizeTextBytes(text: string): bigint | undefined {
  const m = /^(\d+)([KMGTPE])$/.exec(text);
  if (!m) return undefined;
  return BigInt(m[1]) << BigInt(10 * (UNITS.indexOf(m[2]) + 1));
}
