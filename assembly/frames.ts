// Table memory: one frame is one page of translation table. Frame 0 is the PGD. Frames come from a
// LIFO free list, else from a bump counter over wasm memory, which grows on demand. Counters per
// level live in STATS, where the host reads them.
import { PAGE_SHIFT, TOP } from "./geometry";

/** Counters, u64 each: [0..4] frames allocated per d, [5..9] frames freed, [10..14] descriptors stored. */
export const STATS: usize = memory.data(15 * 8, 8);
const FREED: usize = STATS + 5 * 8;
const WRITES: usize = STATS + 10 * 8;

/** Wasm memory holds 65536 pages of 64 KiB: 4 GiB. */
const MAX_WASM_PAGES: u64 = 65536;

/** Byte address of frame 0 (set by initFrames, 64 KiB aligned). */
export let poolBase: usize = 0;
/** Frames handed out by the bump counter so far. */
let frameTop: u32 = 0;
/** Frames below this index have been written before and must be zeroed when reused. */
let dirtyTop: u32 = 0;
/** Head of the free list (0 = empty: frame 0, the PGD, is never freed). */
let freeHead: u32 = 0;
/** Frames on the free list. */
let freeCount: u32 = 0;

/** Byte address of a frame. */
// @ts-ignore: decorator
@inline export function frameAddr(frame: u32): usize {
  return poolBase + (<usize>frame << PAGE_SHIFT);
}

/** Frame a table descriptor points to: its OA is `frame << PAGE_SHIFT`. */
// @ts-ignore: decorator
@inline export function frameOf(tableDesc: u64): u32 {
  return <u32>((tableDesc & 0x0000fffffffff000) >> PAGE_SHIFT);
}

/** Frames the bump counter has handed out: every table lies below frameAddr(frameCount()). */
// @ts-ignore: decorator
@inline export function frameCount(): u32 {
  return frameTop;
}

/** Adds n descriptor stores at level d to the counters. */
// @ts-ignore: decorator
@inline export function countWrites(d: i32, n: u64): void {
  const p = WRITES + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + n);
}

/** Frames the pool can hand out without growing memory. */
function capacity(): u64 {
  const bytes = (<u64>memory.size() << 16) - <u64>poolBase;
  return (bytes >> PAGE_SHIFT) - <u64>frameTop + <u64>freeCount;
}

/**
 * Makes sure `n` more frames can be allocated: grows memory if needed. Returns false, changing
 * nothing, when wasm memory cannot hold them.
 */
export function reserveFrames(n: u64): bool {
  const have = capacity();
  if (n <= have) return true;
  const needBytes = <u64>poolBase + ((<u64>frameTop + n - <u64>freeCount) << PAGE_SHIFT);
  const needPages = (needBytes + 0xffff) >> 16;
  if (needPages > MAX_WASM_PAGES) return false;
  // memory.grow answers -1 instead of trapping when the host refuses.
  return memory.grow(<i32>(needPages - <u64>memory.size())) >= 0;
}

/** Takes a zeroed frame for a table at level d. The caller has reserved it. */
export function allocFrame(d: i32): u32 {
  let frame: u32;
  if (freeHead != 0) {
    frame = freeHead;
    freeHead = load<u32>(frameAddr(frame)); // the next link lives in the free frame itself
    freeCount--;
  } else {
    frame = frameTop++;
  }
  // Memory fresh from memory.grow is zero already; reused frames are not.
  if (frame < dirtyTop) memory.fill(frameAddr(frame), 0, <usize>1 << PAGE_SHIFT);
  else dirtyTop = frame + 1;
  const p = STATS + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + 1);
  return frame;
}

/** Returns a frame of level d to the free list. */
export function freeFrame(frame: u32, d: i32): void {
  store<u32>(frameAddr(frame), freeHead);
  freeHead = frame;
  freeCount++;
  const p = FREED + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Sets up the pool past `heapTop` and allocates the PGD (frame 0). */
export function initFrames(heapTop: usize): bool {
  poolBase = (heapTop + 0xffff) & ~<usize>0xffff;
  frameTop = 0;
  dirtyTop = 0;
  freeHead = 0;
  freeCount = 0;
  memory.fill(STATS, 0, 15 * 8);
  if (!reserveFrames(1)) return false;
  allocFrame(TOP);
  return true;
}

/** Frees every table but the PGD, zeroes the PGD and the counters: a warm rebuild starts here. */
export function resetFrames(): void {
  frameTop = 1;
  freeHead = 0;
  freeCount = 0;
  memory.fill(frameAddr(0), 0, <usize>1 << PAGE_SHIFT);
  memory.fill(STATS, 0, 15 * 8);
  store<u64>(STATS + (<usize>TOP << 3), 1);
}
