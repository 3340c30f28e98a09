/** Byte sizes as people and the kernel write them: 4K, 2M, 16G, 1T (binary units). */

const UNITS: Record<string, bigint> = { "": 1n, K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n, P: 1n << 50n, E: 1n << 60n };

/** `text` in double quotes, escaped as JSON (and U+2028/U+2029 too): one line whatever it holds. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Parses `16G`, `512M`, `0x40000000` or `1073741824`; throws a RangeError naming the text. */
export function parseSize(text: string): bigint {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  const m = /^(\d+)([KMGTPE]?)(?:i?B)?$/i.exec(t);
  if (!m) throw new RangeError(`${quote(text)} is not a size (examples: 4K, 2M, 16G, 0x40000000)`);
  return BigInt(m[1]) * UNITS[m[2].toUpperCase()];
}

/** Formats bytes as the largest binary unit that divides them exactly (ptdump's rule): 16G, 1536K. */
export function formatSize(bytes: bigint): string {
  const names = ["", "K", "M", "G", "T", "P", "E"];
  let i = 0;
  while (i < names.length - 1 && bytes >= 1024n && bytes % 1024n === 0n) {
    bytes /= 1024n;
    i++;
  }
  return `${bytes}${names[i]}`;
}
