// Table memory. A frame is one table, named by its index: a table descriptor's OA is
// `frame << PAGE_SHIFT` (frame 0 is the PGD), and frames come from a LIFO free list, else from a
// bump counter, as the kernel-equivalent accounting requires. Where a frame's entries live is a
// separate question, answered by the frame map: one u64 slot per frame, either
//   - the byte address of a real page of storage (page aligned, so bit 1 is clear), or
//   - an implicit record: the frame's first entry, for a table whose entries form a full arithmetic
//     run, entry i = first + (i << PAGE_SHIFT) (bit 1 is set: only leaf tables are implicit, and a
//     page descriptor keeps bits [1:0] = 0b11 through every write the engine allows).
// A page-granular build writes whole PTE tables as runs, so a linear map of any size the VA space
// allows costs 8 bytes per PTE table here, beside real pages for the upper levels and for PTE tables
// that stopped being runs ("materialized": storage taken and filled from the record, then written).
//
// Memory layout, in 64 KiB-aligned regions bump-allocated upward from `poolBase`: the PGD's page,
// the frame map, and page extents from which storage pages are taken. The frame map doubles when full:
// it moves to the top and its old region becomes a page extent. Counters per level live in STATS,
// memory accounting in USAGE, where the host reads them.
//
// Dense tables (implicit leaves off: every table a real page, as in the kernel) use a second layout,
// the fixed one: frame f's page is at poolBase + (f << PAGE_SHIFT), so that the walks compute a
// table's address from its descriptor's OA as the hardware does (pool + OA), with no frame-map load
// between two levels; there is no frame map then, and a free frame's link lives in its own page.
import { TABLE_OA } from "./descriptor";
import { PAGE_SHIFT, TOP } from "./geometry";

/** Counters, u64 each: [0..4] frames allocated per d, [5..9] frames freed, [10..14] descriptors stored. */
export const STATS: usize = memory.data(15 * 8, 8);
const FREED: usize = STATS + 5 * 8;
const WRITES: usize = STATS + 10 * 8;

/**
 * Memory accounting, u64 each: [0] real storage pages live (the PGD included), [1] implicit tables
 * live, [2] frame-map slots in use (frames the bump counter handed out), [3] frame-map capacity in
 * slots, [4] bytes of regions handed out from wasm memory (PGD, frame maps, page extents).
 */
export const USAGE: usize = memory.data(5 * 8, 8);

/** Wasm memory holds 65536 pages of 64 KiB: 4 GiB. */
const MAX_BYTES: u64 = <u64>1 << 32;
/** Bytes of wasm memory the host allows (setMemoryBudget); memory never grows past it. */
export let memoryBudget: u64 = MAX_BYTES;
/** The memory a refused reservation needed, in bytes (for the host's error). */
export let neededBytes: u64 = 0;

/** What memory may reach: the wasm32 limit or the host's budget, whichever is lower. */
// @ts-ignore: decorator
@inline function memoryLimit(): u64 {
  return min(MAX_BYTES, memoryBudget);
}
/** Regions are whole wasm pages, so storage pages are aligned for every granule. */
const REGION: u64 = 0x10000;
/** Tag of an implicit record in a frame-map slot. */
export const IMPLICIT: u64 = 2;
/** Slots of the first frame map (one region). */
const FIRST_MAP_SLOTS: u64 = REGION >> 3;

/** Byte address of the PGD's page (64 KiB aligned, set by initFrames): frame 0's in both layouts. */
let poolBase: usize = 0;
/**
 * The fixed layout: every frame real, frame f's page at poolBase + (f << PAGE_SHIFT), no frame map
 * (frameMap = 0). Chosen with implicit leaves off (setLayout); records are never made in it.
 */
export let fixedLayout = false;
/** The layout asked for: taken at once while the PGD is the only frame, else at the next reset. */
let wantFixed = false;
/** Fixed layout: frames below this one have held data (a page taken there is zeroed first). */
let dirtyTop: u32 = 0;
/** Byte address of the frame map: slot of frame f at frameMap + 8 f. */
export let frameMap: usize = 0;
let mapCap: u64 = 0;
/** Frames handed out by the bump counter so far: every live frame is below it. */
let frameTop: u32 = 0;
/** Head of the frame free list (0 = empty: frame 0, the PGD, is never freed); links live in the slots. */
let freeHead: u32 = 0;
let freeCount: u32 = 0;
/** End of the regions handed out so far (may reach 2^32). */
let memTop: u64 = 0;

// Storage pages: a free list (links in the pages), then the unused parts of the extents.
let pageFree: usize = 0;
let pageFreeCount: u64 = 0;
let livePages: u64 = 0;
let liveImplicit: u64 = 0;
const MAX_EXTENTS: i32 = 128;
/** Extents, u64 each field: start, end, next unused page, end of the pages ever written (dirty). */
const EXTENTS: usize = memory.data(MAX_EXTENTS * 32, 8);
let extCount: i32 = 0;
/** Extents before this one have no unused page. */
let extCur: i32 = 0;
/** Unused pages in all extents. */
let sparePages: u64 = 0;
/** The extent that ends at memTop and can grow in place, or -1. */
let topExtent: i32 = -1;
/** Set by takePage: whether the page may hold old data. */
let takenDirty = false;
/**
 * Pages the call under way reserved and has not taken yet. Taking more is an engine bug (the dry
 * pass miscounted, and at the edge of memory the page would not be there): it traps instead.
 */
let pageBudget: u64 = 0;

// @ts-ignore: decorator
@inline function ext(i: i32): usize {
  return EXTENTS + (<usize>i << 5);
}

/** Fixed layout: the address of frame f's page. */
// @ts-ignore: decorator
@inline function fixedAddr(frame: u32): usize {
  return poolBase + (<usize>frame << PAGE_SHIFT);
}

/** The slot of a frame: a storage address, or an implicit record (bit 1 set). */
// @ts-ignore: decorator
@inline export function frameSlot(frame: u32): u64 {
  return fixedLayout ? <u64>fixedAddr(frame) : load<u64>(frameMap + (<usize>frame << 3));
}

/** Whether a slot holds an implicit record. */
// @ts-ignore: decorator
@inline export function isImplicit(slot: u64): bool {
  return (slot & IMPLICIT) != 0;
}

/** Byte address of a real frame's storage (callers materialize implicit frames first). */
// @ts-ignore: decorator
@inline export function frameAddr(frame: u32): usize {
  return <usize>frameSlot(frame);
}

/** Frame a table descriptor points to: its OA is `frame << PAGE_SHIFT`. */
// @ts-ignore: decorator
@inline export function frameOf(tableDesc: u64): u32 {
  return <u32>((tableDesc & TABLE_OA) >> PAGE_SHIFT);
}

/** Frames the bump counter has handed out: a table descriptor pointing at or above it is not ours. */
// @ts-ignore: decorator
@inline export function frameCount(): u32 {
  return frameTop;
}

/** Entry i of an implicit table whose record is `slot`. */
// @ts-ignore: decorator
@inline export function implicitEntry(slot: u64, i: u64): u64 {
  return slot + (i << PAGE_SHIFT);
}

/** Adds n descriptor stores at level d to the counters. */
// @ts-ignore: decorator
@inline export function countWrites(d: i32, n: u64): void {
  const p = WRITES + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + n);
}

/** Frame-map slots in use: none in the fixed layout, which has no frame map. */
// @ts-ignore: decorator
@inline function slotsInUse(): u64 {
  return fixedLayout ? 0 : <u64>frameTop;
}

/** Bytes of storage the simulator holds for its tables: real pages plus frame-map slots. */
export function simulatorBytes(): u64 {
  return (livePages << PAGE_SHIFT) + (slotsInUse() << 3);
}

function publishUsage(): void {
  store<u64>(USAGE, livePages);
  store<u64>(USAGE, liveImplicit, 8);
  store<u64>(USAGE, slotsInUse(), 16);
  store<u64>(USAGE, mapCap, 24);
  store<u64>(USAGE, memTop, 32);
}

/** Updates USAGE for the host. */
export function usage(): usize {
  publishUsage();
  return USAGE;
}

/** Makes wasm memory reach `bytes`; false (nothing changed) when it cannot. */
function growTo(bytes: u64): bool {
  if (bytes > memoryLimit()) {
    neededBytes = bytes;
    return false;
  }
  const pages = (bytes + 0xffff) >> 16;
  const have = <u64>memory.size();
  if (pages <= have) return true;
  // memory.grow answers -1 instead of trapping when the host refuses.
  return memory.grow(<i32>(pages - have)) >= 0;
}

function roundRegion(bytes: u64): u64 {
  return (bytes + REGION - 1) & ~(REGION - 1);
}

/** Appends [start, end) as an extent of storage pages; `dirty` when it held data before. */
function addExtent(start: u64, end: u64, dirty: bool): void {
  const e = ext(extCount);
  store<u64>(e, start);
  store<u64>(e, end, 8);
  store<u64>(e, start, 16);
  store<u64>(e, dirty ? end : start, 24);
  sparePages += (end - start) >> PAGE_SHIFT;
  extCount++;
}

/**
 * Makes sure `frames` more frames, `pages` of them with real storage, can be allocated: moves the
 * frame map to a larger region and grows memory as needed. Returns false, changing nothing, when
 * wasm memory cannot hold them.
 */
export function reserveFrames(frames: u64, pages: u64): bool {
  pageBudget = 0;
  const fresh = frames > <u64>freeCount ? frames - <u64>freeCount : 0;
  if (fixedLayout) return reserveFixed(<u64>frameTop + fresh);
  const needSlots = <u64>frameTop + fresh;
  let newCap: u64 = 0;
  let have = pageFreeCount + sparePages;
  if (needSlots > mapCap) {
    newCap = max(needSlots, mapCap << 1);
    have += (mapCap << 3) >> PAGE_SHIFT; // the old map becomes an extent
  }
  const short = pages > have ? pages - have : 0;
  if (newCap == 0 && short == 0) {
    pageBudget = pages;
    return true;
  }
  // What must be had, then slack within what wasm memory has left: the frame map doubles, page
  // extents grow by at least an eighth of what is in use, so that memory grows seldom (fresh memory
  // costs nothing until written, and memory.grow is slow).
  const room = memoryLimit() > memTop ? memoryLimit() - memTop : 0;
  const minMap = newCap == 0 ? 0 : roundRegion(needSlots << 3);
  const minExt = roundRegion(short << PAGE_SHIFT);
  if (minMap + minExt > room) {
    neededBytes = memTop + minMap + minExt;
    return false;
  }
  if (newCap != 0 && extCount + 1 > MAX_EXTENTS) return false;
  if (short != 0 && topExtent < 0 && extCount + 2 > MAX_EXTENTS) return false;
  // The map's slack takes at most half of the room left, which page extents may need later.
  const mapBytes = newCap == 0 ? 0 : min(roundRegion(newCap << 3), minMap + (((room - minMap - minExt) >> 1) & ~(REGION - 1)));
  let extBytes: u64 = 0;
  if (short != 0) {
    const slack = max(minExt, roundRegion(max(memTop >> 3, <u64>1 << 20)));
    extBytes = max(minExt, min(slack, room - mapBytes) & ~(REGION - 1));
  }
  if (!growTo(memTop + mapBytes + extBytes)) return false;
  if (newCap != 0) {
    const oldMap = frameMap;
    const oldBytes = mapCap << 3;
    frameMap = <usize>memTop;
    mapCap = mapBytes >> 3;
    memory.copy(frameMap, oldMap, <usize>(<u64>frameTop << 3));
    memTop += mapBytes;
    addExtent(<u64>oldMap, <u64>oldMap + oldBytes, true);
    topExtent = -1; // the map is on top now
  }
  if (extBytes != 0) {
    if (topExtent >= 0) {
      const e = ext(topExtent);
      store<u64>(e, load<u64>(e, 8) + extBytes, 8);
      sparePages += extBytes >> PAGE_SHIFT;
      if (topExtent < extCur) extCur = topExtent;
    } else {
      topExtent = extCount;
      addExtent(memTop, memTop + extBytes, false);
    }
    memTop += extBytes;
  }
  pageBudget = pages;
  return true;
}

/**
 * reserveFrames() in the fixed layout: frames below `frames` must have their pages, so memory must
 * reach poolBase + (frames << PAGE_SHIFT); it grows by at least an eighth, as the page extents do.
 */
function reserveFixed(frames: u64): bool {
  const need = roundRegion(<u64>poolBase + (frames << PAGE_SHIFT));
  if (need <= memTop) return true;
  if (need > memoryLimit()) {
    neededBytes = need;
    return false;
  }
  const slack = min(memoryLimit(), roundRegion(memTop + max(memTop >> 3, <u64>1 << 20)));
  if (slack > need && growTo(slack)) {
    memTop = slack;
    return true;
  }
  if (!growTo(need)) return false;
  memTop = need;
  return true;
}

/** Takes a storage page (the caller has reserved it); takenDirty says whether it must be zeroed. */
function takePage(): usize {
  if (pageBudget == 0) unreachable();
  pageBudget--;
  let p: usize;
  if (pageFree != 0) {
    p = pageFree;
    pageFree = load<u32>(p); // the next link lives in the free page itself
    pageFreeCount--;
    takenDirty = true;
  } else {
    let e = ext(extCur);
    while (load<u64>(e, 16) >= load<u64>(e, 8)) {
      if (++extCur >= extCount) unreachable(); // reserved, so never
      e = ext(extCur);
    }
    const next = load<u64>(e, 16);
    p = <usize>next;
    store<u64>(e, next + (<u64>1 << PAGE_SHIFT), 16);
    takenDirty = next < load<u64>(e, 24);
    if (!takenDirty) store<u64>(e, next + (<u64>1 << PAGE_SHIFT), 24);
    sparePages--;
  }
  livePages++;
  return p;
}

/** Returns a storage page to the free list. */
function dropPage(p: usize): void {
  store<u32>(p, <u32>pageFree);
  pageFree = p;
  pageFreeCount++;
  livePages--;
}

/** Takes a frame index for a table at level d and counts it. */
function takeFrame(d: i32): u32 {
  let frame: u32;
  if (freeHead != 0) {
    frame = freeHead;
    // The link lives in the slot, or in the fixed layout in the free frame's page.
    freeHead = fixedLayout ? load<u32>(fixedAddr(frame)) : <u32>frameSlot(frame);
    freeCount--;
  } else {
    const cap = fixedLayout ? (memTop - <u64>poolBase) >> PAGE_SHIFT : mapCap;
    if (<u64>frameTop >= cap) unreachable(); // reserved, so never
    frame = frameTop++;
  }
  const p = STATS + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + 1);
  return frame;
}

/** Takes a frame with a zeroed page of storage for a table at level d. The caller has reserved both. */
export function allocFrame(d: i32): u32 {
  const frame = takeFrame(d);
  if (fixedLayout) {
    // Memory past dirtyTop is fresh from memory.grow, zero already.
    if (frame < dirtyTop) memory.fill(fixedAddr(frame), 0, <usize>1 << PAGE_SHIFT);
    else dirtyTop = frame + 1;
    livePages++;
    return frame;
  }
  const p = takePage();
  if (takenDirty) memory.fill(p, 0, <usize>1 << PAGE_SHIFT);
  store<u64>(frameMap + (<usize>frame << 3), <u64>p);
  return frame;
}

/** Takes a frame for an implicit table at level d whose entry i is first + (i << PAGE_SHIFT). */
export function allocImplicitFrame(d: i32, first: u64): u32 {
  if (fixedLayout) unreachable(); // no records in the fixed layout
  const frame = takeFrame(d);
  store<u64>(frameMap + (<usize>frame << 3), first);
  liveImplicit++;
  return frame;
}

/**
 * A write that rewrote every entry of a frame as a run: the frame becomes (or stays) implicit with
 * record `first`, and its storage page, if it had one, goes back to the free list.
 */
export function replaceWithRecord(frame: u32, first: u64): void {
  if (fixedLayout) unreachable();
  const slot = frameSlot(frame);
  if (isImplicit(slot)) liveImplicit--;
  else dropPage(<usize>slot);
  store<u64>(frameMap + (<usize>frame << 3), first);
  liveImplicit++;
}

/**
 * Gives an implicit frame real storage filled from its record, so that it can be written entry by
 * entry; returns the storage address. The caller has reserved the page.
 */
export function materialize(frame: u32): usize {
  const slot = frameSlot(frame);
  const p = takePage();
  const stop = p + (<usize>1 << PAGE_SHIFT);
  const step: u64 = <u64>1 << PAGE_SHIFT;
  let desc = slot;
  for (let q = p; q < stop; q += 16, desc += step << 1) {
    store<u64>(q, desc);
    store<u64>(q, desc + step, 8);
  }
  store<u64>(frameMap + (<usize>frame << 3), <u64>p);
  liveImplicit--;
  return p;
}

/** Returns a frame of level d to the free list, and its storage, if real, to the page free list. */
export function freeFrame(frame: u32, d: i32): void {
  if (fixedLayout) {
    store<u32>(fixedAddr(frame), freeHead); // the page stays the frame's
    livePages--;
  } else {
    const slot = frameSlot(frame);
    if (isImplicit(slot)) liveImplicit--;
    else dropPage(<usize>slot);
    store<u64>(frameMap + (<usize>frame << 3), <u64>freeHead);
  }
  freeHead = frame;
  freeCount++;
  const p = FREED + (<usize>d << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Forgets every storage page and extent (the page free list, the extents, the spare count). */
function forgetStorage(): void {
  pageFree = 0;
  pageFreeCount = 0;
  extCount = 0;
  extCur = 0;
  sparePages = 0;
  topExtent = -1;
}

/** Sets up the regions past `heapTop` and allocates the PGD (frame 0). */
export function initFrames(heapTop: usize): bool {
  poolBase = <usize>roundRegion(<u64>heapTop);
  memTop = <u64>poolBase + 2 * REGION;
  if (!growTo(memTop)) return false;
  fixedLayout = false;
  frameMap = poolBase + <usize>REGION;
  mapCap = FIRST_MAP_SLOTS;
  frameTop = 0;
  freeHead = 0;
  freeCount = 0;
  forgetStorage();
  liveImplicit = 0;
  memory.fill(STATS, 0, 15 * 8);
  // The PGD's page lies outside the extents, so that reset() can hand all of them out again.
  memory.fill(poolBase, 0, <usize>1 << PAGE_SHIFT);
  const pgd = takeFrame(TOP);
  store<u64>(frameMap + (<usize>pgd << 3), <u64>poolBase);
  livePages = 1;
  if (wantFixed) layOutFixed();
  return true;
}

/**
 * The fixed layout over all the memory handed out, every page past the PGD's counted as dirty.
 * Only the PGD (frame 0, at poolBase in both layouts) may be live.
 */
function layOutFixed(): void {
  fixedLayout = true;
  frameMap = 0;
  mapCap = 0;
  forgetStorage();
  dirtyTop = <u32>((memTop - <u64>poolBase) >> PAGE_SHIFT);
}

/**
 * The frame-map layout over all the memory handed out: the PGD's page, the first frame map, then one
 * dirty extent over the rest. Only the PGD may be live.
 */
function layOutMapped(): void {
  fixedLayout = false;
  frameMap = poolBase + <usize>REGION;
  mapCap = FIRST_MAP_SLOTS;
  store<u64>(frameMap, <u64>poolBase);
  forgetStorage();
  const start = <u64>poolBase + 2 * REGION;
  if (memTop > start) {
    topExtent = 0;
    addExtent(start, memTop, true);
  }
}

/**
 * Asks for the fixed layout (dense tables) or the frame-map one. Taken at once while the PGD is the
 * only frame ever handed out, else at the next reset(); until then tables stay as they are (and no
 * records are made in the fixed layout).
 */
export function setLayout(fixed: bool): void {
  wantFixed = fixed;
  if (frameTop == 1 && fixedLayout != fixed) {
    if (fixed) layOutFixed();
    else layOutMapped();
  }
}

/**
 * A new table in memory that held another, perhaps of another page size: as reset(), the frame map
 * and the extents staying where they are, their pages counted dirty (after dense tables, the
 * frame-map layout laid afresh over everything handed out). Extents are whole 64 KiB regions, so
 * any page size divides them. The host's memory is kept: it need not be faulted in again.
 */
export function recycleFrames(): void {
  wantFixed = false;
  resetFrames();
}

/** Frees every table but the PGD, zeroes the PGD and the counters: a warm rebuild starts here. */
export function resetFrames(): void {
  frameTop = 1;
  freeHead = 0;
  freeCount = 0;
  if (wantFixed != fixedLayout) {
    if (wantFixed) layOutFixed();
    else layOutMapped();
  } else if (!fixedLayout) {
    // dirtyTop of the fixed layout stays: the pages below it are zeroed when taken again.
    pageFree = 0;
    pageFreeCount = 0;
    sparePages = 0;
    for (let i = 0; i < extCount; i++) {
      const e = ext(i);
      store<u64>(e, load<u64>(e), 16);
      sparePages += (load<u64>(e, 8) - load<u64>(e)) >> PAGE_SHIFT;
    }
    extCur = 0;
  }
  livePages = 1;
  liveImplicit = 0;
  memory.fill(poolBase, 0, <usize>1 << PAGE_SHIFT);
  memory.fill(STATS, 0, 15 * 8);
  store<u64>(STATS + (<usize>TOP << 3), 1);
}

/**
 * Benchmark ceiling: grows memory by `bytes` past the regions and fills them with memory.fill, as a
 * dense page-granular build would write its PTE tables. Returns 0, or -2 without memory.
 */
export function fillBytes(bytes: u64): i32 {
  if (!growTo(memTop + bytes)) return -2;
  memory.fill(<usize>memTop, 0x5a, <usize>bytes);
  return 0;
}
