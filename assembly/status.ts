// Status codes of the exported calls and the details of a failure, which the host reads from ERR.

export const OK: i32 = 0;
/** A live entry would change unsafely (pgattr_change_is_safe, pmd_bad). ERR: va, level, old, new. */
export const E_UNSAFE: i32 = 1;
/** A block or contiguous entry stands where page granularity is needed. ERR: va, level, old, kind. */
export const E_BLOCK: i32 = 2;
/** An empty entry inside a range that must be mapped. ERR: va, level. */
export const E_NOT_MAPPED: i32 = 3;
/** Wasm memory cannot hold the frames needed. ERR: frames needed in `new`. */
export const E_NOMEM: i32 = 4;

/** Kinds of E_BLOCK, in ERR's `kind`. */
export const KIND_BLOCK: u64 = 1;
export const KIND_CONT: u64 = 2;
export const KIND_PARTIAL: u64 = 3;

/** Failure details, u64 each: va, hardware level, old descriptor, new descriptor (or frames), kind. */
export const ERR: usize = memory.data(5 * 8, 8);

/** Records a failure and returns its code. */
export function fail(code: i32, va: u64, d: i32, old: u64, neu: u64, kind: u64): i32 {
  store<u64>(ERR, va);
  store<i64>(ERR + 8, <i64>(3 - d)); // hardware level
  store<u64>(ERR + 16, old);
  store<u64>(ERR + 24, neu);
  store<u64>(ERR + 32, kind);
  return code;
}
