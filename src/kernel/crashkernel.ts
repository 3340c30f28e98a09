/**
 * crashkernel= as the kernel reads it (kernel/crash_core.c parse_crashkernel and friends) and
 * reserves it (arch/arm64/mm/init.c reserve_crashkernel, v5.10 and v6.1; kernel/crash_reserve.c
 * reserve_crashkernel_generic from v6.9).
 */
import { type Memblock, memblockFindInRange, memblockIsFree, memblockReserve } from "../memmap/memblock.js";
import type { PhysRange as Range } from "../memmap/model.js";
import type { KernelPolicy } from "./policy.js";

/** What the crashkernel= parameters ask for. */
export interface CrashkernelRequest {
  /** Bytes requested (already chosen from a range list by the RAM size). */
  size: bigint;
  /** A fixed base (`@offset`), if any. */
  base: bigint | undefined;
  /** `crashkernel=X,high`: above the DMA zones, with a low part for DMA. */
  high: boolean;
  /** `crashkernel=Y,low` (only with ,high); undefined = the default low size. */
  lowSize: bigint | undefined;
}

/** A crashkernel= value the kernel would reject; the message is one line. */
export class CrashkernelError extends Error {
  constructor(reason: string) {
    super(`crashkernel: ${reason}`);
    this.name = "CrashkernelError";
  }
}

const SZ_128M = 128n << 20n;
const SZ_2M = 2n << 20n;
const UNITS: Record<string, bigint> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n, P: 1n << 50n, E: 1n << 60n };

/** memparse(): a number (decimal, 0x hex or 0 octal) with an optional K/M/G/T/P/E suffix. */
function memparse(s: string, at: number): [bigint, number] {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([KMGTPEkmgtpe]?)/.exec(s.slice(at));
  if (!m) return [0n, at];
  const raw = m[1];
  const n = /^0x/i.test(raw) ? BigInt(`0x${raw.slice(2)}`) : raw.length > 1 && raw.startsWith("0") ? BigInt(`0o${raw.slice(1)}`) : BigInt(raw);
  return [n * (m[2] ? UNITS[m[2].toUpperCase()] : 1n), at + m[0].length];
}

/** parse_crashkernel_mem(): `start-[end]:size[,start-[end]:size…][@offset]`, chosen by RAM size. */
function parseRanges(v: string, systemRam: bigint): { size: bigint; base: bigint | undefined } {
  const totalMem = ((systemRam + SZ_128M - 1n) / SZ_128M) * SZ_128M; // roundup(system_ram, SZ_128M)
  let at = 0;
  let size = 0n;
  for (;;) {
    const [start, a1] = memparse(v, at);
    if (a1 === at) throw new CrashkernelError(`memory value expected in "${v}"`);
    if (v[a1] !== "-") throw new CrashkernelError(`'-' expected in "${v}"`);
    at = a1 + 1;
    let end: bigint | undefined;
    if (v[at] !== ":") {
      const [e, a2] = memparse(v, at);
      if (a2 === at) throw new CrashkernelError(`memory value expected in "${v}"`);
      if (e <= start) throw new CrashkernelError(`end <= start in "${v}"`);
      end = e;
      at = a2;
    }
    if (v[at] !== ":") throw new CrashkernelError(`':' expected in "${v}"`);
    const [s, a3] = memparse(v, at + 1);
    if (a3 === at + 1) throw new CrashkernelError(`memory value expected in "${v}"`);
    at = a3;
    if (s >= totalMem) throw new CrashkernelError(`invalid size in "${v}": not below the RAM size`);
    if (totalMem >= start && (end === undefined || totalMem < end)) {
      size = s;
      break;
    }
    if (v[at] !== ",") break;
    at++;
  }
  const atSign = v.indexOf("@", at);
  if (size > 0n && atSign >= 0) {
    const [base, a4] = memparse(v, atSign + 1);
    if (a4 === atSign + 1) throw new CrashkernelError(`memory value expected after '@' in "${v}"`);
    return { size, base };
  }
  return { size, base: undefined };
}

/** parse_crashkernel_simple(): `size[@offset]`. */
function parseSimple(v: string): { size: bigint; base: bigint | undefined } {
  const [size, at] = memparse(v, 0);
  if (at === 0) throw new CrashkernelError(`memory value expected in "${v}"`);
  if (at === v.length) return { size, base: undefined };
  if (v[at] !== "@") throw new CrashkernelError(`unrecognized char: ${v[at]} in "${v}"`);
  const [base, b] = memparse(v, at + 1);
  // "256M@" is base 0 (anywhere); text after the offset is ignored, as memparse leaves it.
  return { size, base: b === at + 1 ? 0n : base };
}

/**
 * Reads the crashkernel= values of a command line (the last one of each kind wins, as
 * get_last_crashkernel). Returns undefined when there is none, or when it asks for 0 bytes.
 */
export function parseCrashkernel(values: string[], systemRam: bigint, policy: KernelPolicy): CrashkernelRequest | undefined {
  const last = (suffix: string | undefined) => {
    const found = values.filter((v) => (suffix ? v.endsWith(suffix) : !v.endsWith(",high") && !v.endsWith(",low")));
    return found.length ? found[found.length - 1] : undefined;
  };
  const plain = last(undefined);
  if (plain !== undefined) {
    const first = plain.indexOf(":");
    const r = first >= 0 ? parseRanges(plain, systemRam) : parseSimple(plain);
    return r.size === 0n ? undefined : { ...r, high: false, lowSize: undefined };
  }
  const high = last(",high");
  if (high === undefined) {
    if (last(",low") !== undefined) throw new CrashkernelError("crashkernel=Y,low needs crashkernel=X,high");
    return undefined;
  }
  if (!policy.crashHighLow) throw new CrashkernelError(`",high" is not understood before 5.19 (kernel ${policy.release.text})`);
  const highPart = parseSimple(high.slice(0, -",high".length));
  // parse_crashkernel_suffix(): ",high" takes a size only.
  if (highPart.base !== undefined) throw new CrashkernelError(`unrecognized char: @ in "${high}"`);
  const size = highPart.size;
  const low = last(",low");
  const lowSize = low === undefined ? undefined : parseSimple(low.slice(0, -",low".length)).size;
  return size === 0n ? undefined : { size, base: undefined, high: true, lowSize };
}

/** Where the reservation landed. */
export interface CrashkernelReservation {
  base: bigint;
  size: bigint;
  /** The low part of a ,high reservation. */
  low: Range | undefined;
  /** What the kernel would print, or why it failed. */
  log: string[];
}

/**
 * reserve_crashkernel(): places the reservation top-down, 2 MiB aligned, below `lowLimit`
 * (arm64_dma_phys_limit) or anywhere for ,high, in the memblock as it stands, and reserves it
 * there. Without ,low a ,high reservation takes `defaultLowSize` below the limit (0 in v6.1;
 * 128 MiB from v6.4, DEFAULT_CRASH_KERNEL_LOW_SIZE). With `fallbackHigh` (v6.2+), a plain
 * crashkernel=X that does not fit below the limit is placed above it, with the default low part.
 */
export function reserveCrashkernel(
  req: CrashkernelRequest,
  mb: Memblock,
  lowLimit: bigint,
  paLimit: bigint,
  defaultLowSize: bigint,
  fallbackHigh = false,
): { reservation: CrashkernelReservation; memblock: Memblock } {
  const page = 4096n;
  const size = ((req.size + page - 1n) / page) * page; // PAGE_ALIGN
  const log: string[] = [];
  let base: bigint | undefined;
  // A base of 0 (crashkernel=X@0) means "anywhere", as in the kernel.
  if (req.base !== undefined && req.base !== 0n) {
    const b = req.base;
    const inMemory = mb.memory.some((m) => b >= m.base && b + size <= m.base + m.size);
    if (!inMemory) log.push("cannot reserve crashkernel: region is not memory");
    else if (!memblockIsFree(mb, b, size)) log.push("cannot reserve crashkernel: region overlaps reserved memory");
    else if (b % SZ_2M !== 0n) log.push("cannot reserve crashkernel: base address is not 2MB aligned");
    else base = b;
  } else {
    base = memblockFindInRange(mb, size, SZ_2M, 0n, req.high ? paLimit : lowLimit);
    // v6.2+: crashkernel=X that does not fit below the DMA limit is retried above it, like ,high.
    if (base === undefined && !req.high && fallbackHigh) {
      base = memblockFindInRange(mb, size, SZ_2M, 0n, paLimit);
      if (base !== undefined) req = { ...req, high: true };
    }
    if (base === undefined) log.push(`cannot allocate crashkernel (size:0x${size.toString(16)})`);
  }
  const failed = { reservation: { base: 0n, size: 0n, low: undefined, log }, memblock: mb };
  if (base === undefined) return failed;
  let after = memblockReserve(mb, base, size);
  let low: Range | undefined;
  if (req.high && base >= lowLimit) {
    const lowSize = req.lowSize ?? defaultLowSize;
    const lowBase = lowSize === 0n ? undefined : memblockFindInRange(after, lowSize, SZ_2M, 0n, lowLimit);
    if (lowSize !== 0n && lowBase === undefined) {
      log.push(`cannot allocate crashkernel low memory (size:0x${lowSize.toString(16)}).`);
      return failed;
    }
    if (lowBase !== undefined) {
      low = { base: lowBase, size: lowSize };
      after = memblockReserve(after, lowBase, lowSize);
    }
  }
  const hex = (v: bigint) => `0x${v.toString(16).padStart(16, "0")}`;
  log.push(`crashkernel reserved: ${hex(base)} - ${hex(base + size)} (${size >> 20n} MB)`);
  return { reservation: { base, size, low, log }, memblock: after };
}
