/**
 * An invariant checker for any `PageTableEngine`, through its public interface only (`ranges`,
 * `walk`, `walkMany`, `stats`, `geometry`): what must hold of a table whatever sequence of `map`,
 * `setMemory` and `unmap` built it. `checkInvariants` returns every violation it finds, each with a
 * kind, and never throws on a bad table (only on bad options, as the engine's `ranges` does).
 *
 * The checks, in the order they run:
 *
 * 1. `overlap`, `gap`, `range`: the exact ranges of the window (`ranges({ exact: true })`, default
 *    mask) are sorted, disjoint and non-empty (`overlap`), cover the window without a hole, since
 *    ranges reports empty entries too (`gap`), have a level the geometry has, and start and end on
 *    entry boundaries of their level except where the window clips them (`range`). Two VAs mapping
 *    the same PA is legal (the kernel image's alias) and is not checked.
 * 2. `cont-group`: an entry with PTE_CONT (bit 52) at the PTE level (or PMD level) belongs to an
 *    aligned group of `contEntries[0]` (`contEntries[1]`) entries that are all CONT, have the same
 *    descriptor bits outside the OA field (so all valid, or all invalidated together) and OAs that
 *    follow the VA, the group's first OA aligned to the group's size. Exact ranges break wherever
 *    the level, the bits outside the OA or the OA's progression change, so this holds exactly when
 *    every range with CONT starts and ends on a group boundary and its first OA is group-aligned.
 *    CONT above the PMD level, or in the top table (a 2-level table's PMD level: the kernel hands
 *    the top table to `alloc_init_cont_pmd` one entry at a time), is also a `cont-group` problem.
 *    map, unmap (which refuses part of a group), classic setMemory (which refuses CONT entries) and
 *    split setMemory (which clears CONT from a group it cuts) keep groups whole; setMemory's `leaf`
 *    mode over part of a group does not (it changes the entries in place, CONT kept), and this
 *    check reports the group: the Arm ARM calls such a group misprogrammed.
 * 3. `descriptor`, `block-level`, `block-alignment`, `res0`: every valid leaf is legal for its
 *    level: at hardware level 3 bits [1:0] = 0b11 (0b01 is reserved there); above it bits [1:0] =
 *    0b01 (a block; a table descriptor is never reported as a leaf), and only at a level where the
 *    architecture has blocks (`hwBlockLevel`: 4K pages at levels 1 and 2, and 0 with 52-bit OAs;
 *    16K and 64K at level 2, and 1 with 52-bit OAs); a block's OA is aligned to its entry size (the
 *    bits of the OA field below it are RES0, or nT at bit 16, which Linux never sets). RES0 bits
 *    (Arm ARM, VMSAv8-64 descriptor formats): bits [49:48] unless LPA2 puts OA there, and the bits
 *    between bit 12 and the page shift that carry no OA (16K: [13:12]; 64K without FEAT_LPA:
 *    [15:12]); in leaves and in the table descriptors on the paths of the single walks below.
 *    Invalid entries are software's and are not judged, except for their CONT groups.
 * 4. `stats`, `table-count`: for every level `d`, `live === allocated - freed >= 0`; `liveFrames`
 *    is their sum, `tableBytes` is the live tables below the PGD, in bytes; the top level holds exactly the PGD; and the
 *    live tables of each level are exactly the tables a walk from the PGD reaches. The reachable
 *    tables come from one `ranges({ mask: 0n })` over the whole TTBR1 range (coalesced by level
 *    only): ranges descends every table descriptor and reports every other entry, empty or not, at
 *    its level, so each reachable table at level `d` holds at least one VA reported at a level `<=
 *    d`, and the tables at level `d` are the distinct `va >> shift(d + 1)` of those VAs. Empty
 *    tables count like any other: docs/engine.md frees a table when unmap empties it, map never
 *    allocates a table it does not write an entry into, and splits fill their tables whole, yet
 *    setMemory may zero a leaf (masks that clear every bit outside the OA of a leaf whose OA is 0),
 *    leaving a reachable table whose entries are all empty, which the kernel keeps too. This check
 *    is always over the whole table (it is global by nature), whatever the window.
 * 5. `walk-mismatch`: walks agree with the ranges. Sampled VAs (each range's first and last byte, a
 *    seeded random sample of VAs inside non-empty ranges and of VAs in holes) go through `walkMany`;
 *    the range holding each says what it must give: the range's level, and for a valid leaf legal
 *    at its level the PA `OA(first entry) + (va - start)` (exact ranges keep the OA following the
 *    VA), else a fault (`FAULT_PA`). The first byte of up to `singleWalks` ranges (spread evenly)
 *    also goes through `walk`, which must agree with `walkMany` and give the range's descriptor, a
 *    path of one descriptor per level down to it, the ones above it table descriptors (bits [1:0]
 *    = 0b11; the RES0 bits of item 3 checked there too).
 *
 * The window (`start`, `end`) is widened to the largest CONT group or block the geometry has, so
 * that no group or block is seen in part; checks 1, 2, 3 and 5 look at the widened window.
 */
import { PTE_CONT, PTE_VALID } from "./descriptor.js";
import { type Geometry, decodeOA, entrySize, hwBlockLevel, levelShift, oaFieldMask } from "./geometry.js";
import { SplitMix64 } from "./reference/rng.js";
import { FAULT_PA, type MappedRange, type PageTableEngine } from "./types.js";

/** What a problem is about. */
export type InvariantKind =
  | "overlap"
  | "gap"
  | "range"
  | "cont-group"
  | "descriptor"
  | "block-level"
  | "block-alignment"
  | "res0"
  | "stats"
  | "table-count"
  | "walk-mismatch";

/** One violated invariant. */
export interface InvariantProblem {
  kind: InvariantKind;
  /** The VA the problem is at, when it is at one. */
  va?: bigint;
  /** Hardware lookup level (3 = PTE), when the problem is at one. */
  level?: number;
  /** One line saying what is wrong. */
  detail: string;
}

/** What was looked at. */
export interface InvariantCounts {
  /** Exact ranges of the (widened) window. */
  ranges: number;
  /** VAs walked: through walkMany, and through walk. */
  walks: number;
  /** Tables reachable from the PGD, PGD included. */
  tables: number;
  /** Valid leaf entries in the window (pages and blocks). */
  leaves: number;
  /** Of those, blocks. */
  blocks: number;
  /** Whole CONT groups in the window. */
  contGroups: number;
}

/** The outcome of checkInvariants. */
export interface InvariantReport {
  /** No problem found. */
  ok: boolean;
  /** The problems, in the order the checks found them (at most `maxProblems`). */
  problems: InvariantProblem[];
  /** Problems found beyond `maxProblems`, not listed. */
  omitted: number;
  checked: InvariantCounts;
}

/** Options of checkInvariants. */
export interface InvariantOptions {
  /** First VA of the window (default: the TTBR1 base). */
  start?: bigint;
  /** Exclusive end of the window (default: 2^64). */
  end?: bigint;
  /** Random VAs walked besides each range's first and last byte (default 1024). */
  samples?: number;
  /** Seed of the random VAs (default 1). */
  seed?: bigint | number;
  /** Ranges whose first byte also goes through the single walk (default 256). */
  singleWalks?: number;
  /** Problems listed at most (default 1000); the rest are counted in `omitted`. */
  maxProblems?: number;
}

const VA_LIMIT = 1n << 64n;

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** RES0 bits of a stage-1 page, block or table descriptor in this geometry. */
export function res0Mask(g: Geometry): bigint {
  const below = ((1n << BigInt(g.pageShift)) - 1n) & ~0xfffn; // [PAGE_SHIFT-1:12]
  const high = g.lpa2 ? 0n : 3n << 48n; // [49:48]
  return (below | high) & ~oaFieldMask(g);
}

/** Bytes a CONT group at d (0 or 1) maps. */
function contSize(g: Geometry, d: number): bigint {
  return entrySize(g, d) * BigInt(g.contEntries[d]);
}

/** The largest CONT group or block this geometry can have: the window is widened to it. */
function widestLeaf(g: Geometry): bigint {
  let w = contSize(g, 0);
  if (contSize(g, 1) > w) w = contSize(g, 1);
  for (let d = 1; d < g.levels; d++) if (hwBlockLevel(g, d) && entrySize(g, d) > w) w = entrySize(g, d);
  return w;
}

/** Whether `desc` at distance `d` from the leaf is a valid leaf the hardware translates with. */
function translates(g: Geometry, desc: bigint, d: number): boolean {
  if ((desc & PTE_VALID) === 0n) return false;
  return d === 0 ? (desc & 3n) === 3n : (desc & 3n) === 1n && hwBlockLevel(g, d);
}

/** PA of a range's first byte as the hardware computes it (the entry's OA, low bits masked). */
function firstPa(g: Geometry, r: MappedRange): bigint {
  const size = entrySize(g, 3 - r.level);
  return (decodeOA(g, r.descriptor) & ~(size - 1n)) + (r.start & (size - 1n));
}

/** Checks the invariants of `pt` (see the file's comment for each). */
export function checkInvariants(pt: PageTableEngine, options: InvariantOptions = {}): InvariantReport {
  const g = pt.geometry;
  const top = g.levels - 1;
  const maxProblems = options.maxProblems ?? 1000;
  const problems: InvariantProblem[] = [];
  let omitted = 0;
  const report = (kind: InvariantKind, detail: string, va?: bigint, level?: number): void => {
    if (problems.length >= maxProblems) {
      omitted++;
      return;
    }
    const p: InvariantProblem = { kind, detail };
    if (va !== undefined) p.va = va;
    if (level !== undefined) p.level = level;
    problems.push(p);
  };
  const checked: InvariantCounts = { ranges: 0, walks: 0, tables: 0, leaves: 0, blocks: 0, contGroups: 0 };

  // The window, widened to whole CONT groups and blocks.
  const wide = widestLeaf(g);
  let wStart = (options.start ?? g.ttbr1Base) & ~(wide - 1n);
  let wEnd = options.end ?? VA_LIMIT;
  wEnd = wEnd >= VA_LIMIT - wide ? VA_LIMIT : (wEnd + wide - 1n) & ~(wide - 1n);
  if (wStart < g.ttbr1Base) wStart = g.ttbr1Base;
  const ranges = pt.ranges({ start: wStart, end: wEnd, exact: true });
  checked.ranges = ranges.length;

  // 1 and 3: order, coverage and shape of the ranges; legality of each leaf.
  const res0 = res0Mask(g);
  const reportedGroups = new Set<bigint>();
  let cursor = wStart;
  for (const r of ranges) {
    const d = 3 - r.level;
    if (r.end <= r.start) {
      report("overlap", `range ${hex(r.start)}-${hex(r.end)} is empty or reversed`, r.start, r.level);
      continue;
    }
    if (r.start < cursor) report("overlap", `range ${hex(r.start)}-${hex(r.end)} overlaps the ranges before it, which reach ${hex(cursor)}`, r.start, r.level);
    else if (r.start > cursor) report("gap", `no range covers ${hex(cursor)}-${hex(r.start)}`, cursor);
    if (r.end > cursor) cursor = r.end;
    if (!Number.isInteger(r.level) || d < 0 || d > top) {
      report("range", `level ${r.level} is not a level of a ${g.levels}-level table`, r.start, r.level);
      continue;
    }
    const size = entrySize(g, d);
    const onEdge = (x: bigint) => x === wStart || x === wEnd || (x & (size - 1n)) === 0n;
    if (!onEdge(r.start) || !onEdge(r.end)) report("range", `range ${hex(r.start)}-${hex(r.end)} does not start and end on level-${r.level} entry boundaries`, r.start, r.level);
    const desc = r.descriptor;
    if (desc === 0n) continue;
    const valid = (desc & PTE_VALID) !== 0n;
    if (valid) {
      const type = desc & 3n;
      if (d === 0 && type !== 3n) {
        report("descriptor", `descriptor ${hex(desc)}: bits [1:0] = 0b01 is reserved at level 3 (a page is 0b11)`, r.start, r.level);
      } else if (d > 0 && type !== 1n) {
        report("descriptor", `descriptor ${hex(desc)}: a table descriptor reported as a leaf`, r.start, r.level);
      } else if (d > 0) {
        if (!hwBlockLevel(g, d)) report("block-level", `block ${hex(desc)} at level ${r.level}: ${g.granule}K pages with a ${g.paBits}-bit OA have no blocks there`, r.start, r.level);
        const low = decodeOA(g, desc) & (size - 1n);
        if (low !== 0n) report("block-alignment", `block ${hex(desc)}: OA ${hex(decodeOA(g, desc))} is not aligned to the ${hex(size)}-byte entry (low bits ${hex(low)})`, r.start, r.level);
      }
      if (desc & res0) report("res0", `descriptor ${hex(desc)} sets RES0 bits ${hex(desc & res0)}`, r.start, r.level);
      if (translates(g, desc, d)) {
        const n = Number((r.end - r.start + size - 1n) / size);
        checked.leaves += n;
        if (d > 0) checked.blocks += n;
      }
    }
    // 2: CONT groups.
    if (desc & PTE_CONT) {
      if (d > 1) {
        report("cont-group", `descriptor ${hex(desc)}: CONT at level ${r.level}, where Linux has no contiguous groups`, r.start, r.level);
        continue;
      }
      if (d === top) {
        report("cont-group", `descriptor ${hex(desc)}: CONT in the top table, where the kernel never sets it`, r.start, r.level);
        continue;
      }
      const cs = contSize(g, d);
      const flag = (va: bigint, why: string) => {
        const group = va & ~(cs - 1n);
        if (reportedGroups.has(group)) return;
        reportedGroups.add(group);
        report("cont-group", `CONT group ${hex(group)}-${hex(group + cs)} (${g.contEntries[d]} entries): ${why}`, group, r.level);
      };
      const whyBreak = `not every entry is CONT with the same bits outside the OA and an OA that follows the VA (a run of such entries ends at`;
      if ((r.start & (cs - 1n)) !== 0n) flag(r.start, `${whyBreak} ${hex(r.start)})`);
      if ((r.end & (cs - 1n)) !== 0n) flag(r.end - 1n, `${whyBreak} ${hex(r.end)})`);
      if ((r.start & (cs - 1n)) === 0n) {
        const pa = firstPa(g, r);
        if ((pa & (cs - 1n)) !== 0n) flag(r.start, `its first OA ${hex(pa)} is not aligned to the group's ${hex(cs)} bytes`);
        checked.contGroups += Number((r.end - r.start) / cs);
      }
    }
  }
  if (cursor < wEnd) report("gap", `no range covers ${hex(cursor)}-${hex(wEnd)}`, cursor);

  // 4: table accounting.
  checked.tables = checkTables(pt, report);

  // 5: walks against the ranges.
  checked.walks = checkWalks(pt, ranges, options, report);

  return { ok: problems.length === 0 && omitted === 0, problems, omitted, checked };
}

type Report = (kind: InvariantKind, detail: string, va?: bigint, level?: number) => void;

/** Check 4: the statistics against themselves and against the tables a walk reaches. */
function checkTables(pt: PageTableEngine, report: Report): number {
  const g = pt.geometry;
  const top = g.levels - 1;
  const s = pt.stats();
  if (s.levels.length !== g.levels) report("stats", `stats() has ${s.levels.length} levels, the table ${g.levels}`);
  let live = 0;
  s.levels.forEach((l, d) => {
    if (l.live !== l.allocated - l.freed) report("stats", `level ${3 - d}: live ${l.live} is not allocated ${l.allocated} - freed ${l.freed}`, undefined, 3 - d);
    if (l.live < 0 || l.freed < 0 || l.allocated < 0) report("stats", `level ${3 - d}: negative counts (allocated ${l.allocated}, freed ${l.freed}, live ${l.live})`, undefined, 3 - d);
    live += l.live;
  });
  if (s.liveFrames !== live) report("stats", `liveFrames ${s.liveFrames} is not the levels' live tables, ${live}`);
  const below = s.liveFrames - s.levels[top].live;
  const bytes = BigInt(below) * g.pageSize;
  if (BigInt(s.tableBytes) !== bytes) report("stats", `tableBytes ${s.tableBytes} is not the ${below} live tables below the PGD (${bytes})`);

  // Reachable tables per level: distinct va >> shift(d + 1) over VAs reported at levels <= d.
  const reachable: bigint[] = new Array<bigint>(g.levels).fill(0n);
  reachable[top] = 1n;
  const last: bigint[] = new Array<bigint>(g.levels).fill(-1n);
  for (const r of pt.ranges({ mask: 0n })) {
    const dr = 3 - r.level;
    if (r.end <= r.start || dr < 0 || dr > top) continue; // reported by check 1 on the window
    for (let d = Math.max(dr, 0); d < top; d++) {
      const shift = BigInt(levelShift(g, d + 1));
      let lo = r.start >> shift;
      const hi = (r.end - 1n) >> shift;
      if (lo <= last[d]) lo = last[d] + 1n;
      if (hi >= lo) {
        reachable[d] += hi - lo + 1n;
        last[d] = hi;
      }
    }
  }
  let total = 0;
  for (let d = 0; d <= top; d++) {
    total += Number(reachable[d]);
    const l = s.levels[d];
    if (l && BigInt(l.live) !== reachable[d]) {
      report("table-count", `level ${3 - d}: ${l.live} live tables counted, ${reachable[d]} reachable from the PGD`, undefined, 3 - d);
    }
  }
  return total;
}

/** Check 5: walkMany and walk against what the ranges say. */
function checkWalks(pt: PageTableEngine, ranges: MappedRange[], options: InvariantOptions, report: Report): number {
  const g = pt.geometry;
  const top = g.levels - 1;
  const good = ranges.filter((r) => r.end > r.start && 3 - r.level >= 0 && 3 - r.level <= top);
  const vas: bigint[] = [];
  const owner: number[] = [];
  good.forEach((r, i) => {
    vas.push(r.start);
    owner.push(i);
    if (r.end - 1n !== r.start) {
      vas.push(r.end - 1n);
      owner.push(i);
    }
  });

  // Random VAs: three quarters in non-empty ranges, a quarter in holes, uniform over their bytes.
  const samples = options.samples ?? 1024;
  const rng = new SplitMix64(BigInt(options.seed ?? 1));
  const pools = [good.map((r, i) => [r, i] as const).filter(([r]) => r.descriptor !== 0n), good.map((r, i) => [r, i] as const).filter(([r]) => r.descriptor === 0n)];
  const sums = pools.map((p) => {
    const acc: bigint[] = [];
    let t = 0n;
    for (const [r] of p) acc.push((t += r.end - r.start));
    return acc;
  });
  for (let k = 0; k < samples; k++) {
    let which = k % 4 === 3 ? 1 : 0;
    if (pools[which].length === 0) which = 1 - which;
    const pool = pools[which];
    const acc = sums[which];
    if (pool.length === 0) break;
    const x = rng.next() % acc[acc.length - 1];
    let lo = 0;
    let hi = acc.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (acc[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    const [r, i] = pool[lo];
    vas.push(r.end - (acc[lo] - x));
    owner.push(i);
  }

  const many = pt.walkMany(BigUint64Array.from(vas));
  const expect = (va: bigint, r: MappedRange): { pa: bigint; level: number } => {
    const d = 3 - r.level;
    return { pa: translates(g, r.descriptor, d) ? firstPa(g, r) + (va - r.start) : FAULT_PA, level: r.level };
  };
  const say = (pa: bigint) => (pa === FAULT_PA ? "a fault" : `PA ${hex(pa)}`);
  for (let k = 0; k < vas.length; k++) {
    const r = good[owner[k]];
    const e = expect(vas[k], r);
    if (many.pa[k] !== e.pa || many.level[k] !== e.level) {
      report("walk-mismatch", `walkMany gives ${say(many.pa[k])} at level ${many.level[k]}; the range ${hex(r.start)}-${hex(r.end)} (${hex(r.descriptor)}) says ${say(e.pa)} at level ${e.level}`, vas[k], many.level[k]);
    }
  }

  // Single walks at the first byte of evenly spread ranges: the descriptor and the path.
  const singles = Math.min(good.length, options.singleWalks ?? 256);
  const res0 = res0Mask(g);
  for (let j = 0; j < singles; j++) {
    const i = Math.floor((j * good.length) / singles);
    const r = good[i];
    const w = pt.walk(r.start);
    const e = expect(r.start, r);
    const pa = w.pa ?? FAULT_PA;
    const d = 3 - r.level;
    const at = (what: string) => report("walk-mismatch", `walk ${hex(r.start)}: ${what}`, r.start, r.level);
    if (pa !== e.pa || w.level !== e.level) at(`gives ${say(pa)} at level ${w.level}; the range ${hex(r.start)}-${hex(r.end)} says ${say(e.pa)} at level ${e.level}`);
    if (w.descriptor !== r.descriptor) at(`reads descriptor ${hex(w.descriptor)}, the range reports ${hex(r.descriptor)}`);
    if (w.path.length !== top - d + 1) at(`reads ${w.path.length} descriptors, a leaf at level ${r.level} takes ${top - d + 1}`);
    else if (w.path[w.path.length - 1] !== w.descriptor) at(`the path ends in ${hex(w.path[w.path.length - 1])}, not its descriptor ${hex(w.descriptor)}`);
    for (let step = 0; step < w.path.length - 1; step++) {
      const t = w.path[step];
      const lvl = 3 - (top - step);
      if ((t & 3n) !== 3n) report("descriptor", `walk ${hex(r.start)} went through ${hex(t)} at level ${lvl}, which is not a table descriptor`, r.start, lvl);
      else if (t & res0) report("res0", `table descriptor ${hex(t)} at level ${lvl} sets RES0 bits ${hex(t & res0)}`, r.start, lvl);
    }
  }
  return vas.length + singles;
}
