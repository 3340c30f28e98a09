/**
 * splitmix64 in bigint, step for step as assembly/rng.ts: the reference follows the wasm model's
 * random choices exactly.
 */
const M64 = (1n << 64n) - 1n;
/** The increment each step adds to the state. */
export const GOLDEN = 0x9e3779b97f4a7c15n;

/** The output for a state (after the caller added GOLDEN). */
export function splitmix64(state: bigint): bigint {
  let z = state & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** One stream: each next() adds GOLDEN to the state and returns splitmix64 of it. */
export class SplitMix64 {
  #state: bigint;
  constructor(seed: bigint) {
    this.#state = seed & M64;
  }
  next(): bigint {
    this.#state = (this.#state + GOLDEN) & M64;
    return splitmix64(this.#state);
  }
  /** A double in [0, 1) from the top 53 bits. */
  nextDouble(): number {
    return Number(this.next() >> 11n) * 2 ** -53;
  }
}
