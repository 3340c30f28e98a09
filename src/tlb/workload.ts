/**
 * Workloads of the run-time model: how a spec (`uniform`, `seq:64`, `zipf:1.1`, `ws:1G@0`,
 * `mix:0.9*zipf:1.1+0.1*uniform`) becomes a stream of linear-map VAs. Offsets run over the
 * mapped bytes laid end to end; a region (`SIZE@OFFSET`) narrows a component to part of them. The
 * layout here feeds both the wasm generator (assembly/workload.ts) and the reference one below.
 */
import { InvalidArgumentError } from "../errors.js";
import { oneLine } from "../memmap/errors.js";
import { SplitMix64 } from "../reference/rng.js";
import { formatSize, parseSize } from "../units.js";

/** Part of the mapped bytes: [offset, offset + length). */
export interface Region {
  offset: bigint;
  length: bigint;
}

/** One component of a workload. */
export type Component =
  | { kind: "uniform"; region?: Region }
  | { kind: "seq"; stride: bigint; region?: Region }
  | { kind: "zipf"; s: number; region?: Region };

/** A workload: components drawn by weight, one per access. */
export interface Workload {
  spec: string;
  parts: { weight: number; component: Component }[];
}

/** Bytes of one Zipf item: ranks pick 4 KiB items (the smallest granule), scattered. */
export const ZIPF_ITEM = 4096n;
export const MAX_RANGES = 64;
export const MAX_COMPONENTS = 8;

function parseRegion(text: string, spec: string): Region {
  const m = /^([^@]+)(?:@(.+))?$/.exec(text);
  if (!m) throw new InvalidArgumentError("workload", `"${spec}": "${oneLine(text)}" is not SIZE[@OFFSET]`);
  const length = parseSize(m[1]);
  const offset = m[2] === undefined ? 0n : parseSize(m[2]);
  if (length === 0n) throw new InvalidArgumentError("workload", `"${spec}": a region of 0 bytes`);
  return { offset, length };
}

/** `spec` is the whole spec as messages show it. */
function parseComponent(text: string, spec: string): Component {
  const [kind, ...args] = text.split(":");
  const region = (i: number) => (args[i] === undefined ? undefined : parseRegion(args[i], spec));
  const tooMany = (n: number) => {
    if (args.length > n) throw new InvalidArgumentError("workload", `"${spec}": ${oneLine(kind)} takes at most ${n} argument(s)`);
  };
  try {
    switch (kind) {
      case "uniform":
        tooMany(1);
        return { kind, region: region(0) };
      case "ws":
        tooMany(1);
        if (args[0] === undefined) throw new InvalidArgumentError("workload", `"${spec}": ws needs SIZE[@OFFSET]`);
        return { kind: "uniform", region: region(0) };
      case "seq": {
        tooMany(2);
        const stride = args[0] === undefined ? 64n : parseSize(args[0]);
        if (stride === 0n) throw new InvalidArgumentError("workload", `"${spec}": a stride of 0`);
        return { kind, stride, region: region(1) };
      }
      case "zipf": {
        tooMany(2);
        const s = Number(args[0]);
        if (args[0] === undefined || !(s > 0) || !Number.isFinite(s)) throw new InvalidArgumentError("workload", `"${spec}": zipf needs an exponent above 0 (zipf:1.1)`);
        return { kind, s, region: region(1) };
      }
      default:
        throw new InvalidArgumentError("workload", `"${spec}": "${oneLine(kind)}" is not a workload (uniform, ws:SIZE[@OFFSET], seq[:STRIDE[:SIZE@OFFSET]], zipf:S[:SIZE@OFFSET], mix:W*A+W*B, trace:FILE)`);
    }
  } catch (e) {
    if (e instanceof RangeError) throw new InvalidArgumentError("workload", `"${spec}": ${e.message}`);
    throw e;
  }
}

/** Parses a workload spec (not `trace:`, which the runner streams); throws an InvalidArgumentError. */
export function parseWorkload(spec: string): Workload {
  const text = spec.trim();
  const shown = oneLine(spec); // the spec as messages quote it: one line whatever it holds
  if (!text.startsWith("mix:")) return { spec: text, parts: [{ weight: 1, component: parseComponent(text, shown) }] };
  const parts = text
    .slice(4)
    .split("+")
    .map((p) => {
      const m = /^([0-9.]+)\*(.+)$/.exec(p.trim());
      const weight = m ? Number(m[1]) : NaN;
      if (!m || !(weight > 0) || !Number.isFinite(weight)) {
        throw new InvalidArgumentError("workload", `"${shown}": each part of a mix is WEIGHT*WORKLOAD with a finite weight above 0, not "${oneLine(p)}"`);
      }
      return { weight, component: parseComponent(m[2], shown) };
    });
  if (parts.length > MAX_COMPONENTS) throw new InvalidArgumentError("workload", `"${shown}": at most ${MAX_COMPONENTS} parts`);
  return { spec: text, parts };
}

/** A workload laid onto a linear map: what both generators read. */
export interface WorkloadLayout {
  seed: bigint;
  /** Mapped VA ranges, in order. */
  ranges: { va: bigint; length: bigint }[];
  total: bigint;
  components: {
    kind: 0 | 1 | 2;
    /** A draw below it picks this component (the last takes the rest). */
    threshold: bigint;
    offset: bigint;
    length: bigint;
    stride: bigint;
    s: number;
    items: bigint;
    prime: bigint;
  }[];
}

function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (let d = 2n; d * d <= n; d++) if (n % d === 0n) return false;
  return true;
}

/** The Zipf permutation's multiplier: the smallest prime from 2^20 that does not divide `items`. */
function permutationPrime(items: bigint): bigint {
  let p = 1n << 20n;
  while (!isPrime(p) || items % p === 0n) p++;
  return p;
}

/** Lays `w` onto the mapped VA ranges; throws if a region lies beyond them. */
export function layOut(w: Workload, ranges: { va: bigint; length: bigint }[], seed: bigint): WorkloadLayout {
  if (ranges.length === 0) throw new InvalidArgumentError("workload", "the linear map has no mapped bytes");
  if (ranges.length > MAX_RANGES) throw new InvalidArgumentError("workload", `the linear map has ${ranges.length} mapped ranges; the model takes at most ${MAX_RANGES}`);
  const total = ranges.reduce((a, r) => a + r.length, 0n);
  const sum = w.parts.reduce((a, p) => a + p.weight, 0);
  let cumulative = 0;
  const components = w.parts.map((p, i) => {
    cumulative += p.weight;
    const c = p.component;
    const region = c.region ?? { offset: 0n, length: total };
    if (region.offset + region.length > total) {
      throw new InvalidArgumentError("workload", `"${oneLine(w.spec)}": region ${formatSize(region.length)}@${formatSize(region.offset)} lies beyond the ${formatSize(total)} mapped`);
    }
    const items = region.length / ZIPF_ITEM;
    if (c.kind === "zipf" && items === 0n) throw new InvalidArgumentError("workload", `"${oneLine(w.spec)}": a Zipf region needs at least one 4K item`);
    // A draw below the threshold picks this part; a share that rounds to 1 is capped at 2^64 - 1
    // (2^64 itself would not fit the u64 the wasm generator reads).
    const max = (1n << 64n) - 1n;
    const scaledShare = BigInt(Math.floor((cumulative / sum) * 2 ** 53)) << 11n;
    const threshold = i === w.parts.length - 1 || scaledShare > max ? max : scaledShare;
    return {
      kind: c.kind === "uniform" ? (0 as const) : c.kind === "seq" ? (1 as const) : (2 as const),
      threshold,
      offset: region.offset,
      length: region.length,
      stride: c.kind === "seq" ? c.stride : 0n,
      s: c.kind === "zipf" ? c.s : 0,
      items: c.kind === "zipf" ? items : 0n,
      prime: c.kind === "zipf" ? permutationPrime(items) : 0n,
    };
  });
  return { seed: BigInt.asUintN(64, seed), ranges, total, components };
}

// Zipf by rejection-inversion (Hörmann and Derflinger 1996), as assembly/workload.ts.
const helper1 = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
const helper2 = (x: number) => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x)));
const hIntegral = (x: number, s: number) => {
  const l = Math.log(x);
  return helper2((1 - s) * l) * l;
};
const h = (x: number, s: number) => Math.exp(-s * Math.log(x));
const hIntegralInverse = (x: number, s: number) => Math.exp(helper1(Math.max(x * (1 - s), -1)) * x);

/** The reference generator: the same stream as the wasm one, in bigint. */
export class ReferenceWorkload {
  readonly #layout: WorkloadLayout;
  readonly #rng: SplitMix64;
  readonly #prefix: bigint[] = [];
  readonly #pos: bigint[];
  readonly #zipf: { hX1: number; hN: number; s2: number }[];

  constructor(layout: WorkloadLayout) {
    this.#layout = layout;
    this.#rng = new SplitMix64(layout.seed);
    let total = 0n;
    for (const r of layout.ranges) {
      this.#prefix.push(total);
      total += r.length;
    }
    this.#pos = layout.components.map(() => 0n);
    this.#zipf = layout.components.map((c) => {
      if (c.kind !== 2) return { hX1: 0, hN: 0, s2: 0 };
      return { hX1: hIntegral(1.5, c.s) - 1, hN: hIntegral(Number(c.items) + 0.5, c.s), s2: 2 - hIntegralInverse(hIntegral(2.5, c.s) - h(2, c.s), c.s) };
    });
  }

  #rank(i: number): bigint {
    const c = this.#layout.components[i];
    const { hX1, hN, s2 } = this.#zipf[i];
    const n = Number(c.items);
    for (;;) {
      const u = hN + this.#rng.nextDouble() * (hX1 - hN);
      const x = hIntegralInverse(u, c.s);
      let k = Math.floor(x + 0.5);
      if (x + 0.5 < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= s2 || u >= hIntegral(k + 0.5, c.s) - h(k, c.s)) return BigInt(k);
    }
  }

  #vaOf(offset: bigint): bigint {
    let lo = 0;
    let hi = this.#prefix.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#prefix[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.#layout.ranges[lo].va + (offset - this.#prefix[lo]);
  }

  /** The next VA. */
  next(): bigint {
    const cs = this.#layout.components;
    let i = 0;
    if (cs.length > 1) {
      const r = this.#rng.next();
      while (i < cs.length - 1 && r >= cs[i].threshold) i++;
    }
    const c = cs[i];
    let within: bigint;
    if (c.kind === 0) within = (this.#rng.next() * c.length) >> 64n;
    else if (c.kind === 1) {
      within = this.#pos[i];
      this.#pos[i] = (within + c.stride) % c.length;
    } else within = (((this.#rank(i) - 1n) * c.prime) % c.items) * ZIPF_ITEM;
    return this.#vaOf(c.offset + within);
  }
}
