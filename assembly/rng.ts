// splitmix64 (Steele, Lea, Flood 2014): the one generator behind every random choice the run-time
// model makes (workload addresses, random replacement), so that a seed reproduces a run exactly and
// the TypeScript reference (src/reference/rng.ts) can follow it step by step.

/** The state after `seed`'s first step is the first output's input; callers keep one state each. */
// @ts-ignore: decorator
@inline export function splitmix64(state: u64): u64 {
  let z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** The golden-ratio increment each step adds to the state. */
export const GOLDEN: u64 = 0x9e3779b97f4a7c15;
