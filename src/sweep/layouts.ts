/**
 * The machines of the sweep: one RAM bank, and multi-node layouts shaped like two real servers'
 * boot-log memory maps (Huawei Kunpeng 920 D06, Ampere Altra), scaled to any total.
 *
 * One bank: `[0x40000000, 0x40000000 + S)`, QEMU virt's DRAM base, where the boot model is checked
 * against 44 real kernels byte for byte (README, "Checked against real kernels"). 0x40000000 is
 * 1 GiB aligned, so the linear map starts at PAGE_OFFSET and 1 GiB / 2 MiB / CONT blocks line up
 * from the first byte (0x80000000, the other usual base, is 1 GiB aligned too and gives the same
 * tables at 4K and 16K; at 64K neither base is 16 GiB (CONT PMD) aligned).
 *
 * Scaled layouts (`scaleLayout`), exactly:
 * 1. The fixture is parsed with `parseMemoryMap` and replayed into memblock (`memblockFromMap`): lines
 *    that touch and share a node merge into one *run*, as `for_each_mem_range()` would map them (the
 *    boot log does not say which lines are NOMAP: all are taken as mapped). The gaps between runs
 *    are the layout's holes. T = total memory of the fixture.
 * 2. Each node k is scaled by f = S / T: its target is f * N_k (N_k = the node's memory). The node's
 *    largest run is its DRAM *bulk*; its other runs are *fragments* (firmware-fragmented low memory:
 *    Kunpeng's node 0 below 2 GiB, Altra's runs below 8 TiB).
 * 3. Fragments keep their original base and size. The bulk keeps its base and gets
 *    f * N_k - fragments, rounded to the nearest 2 MiB. The node with the most memory (the first in
 *    address order on a tie) is done last: its bulk takes exactly what the others leave of S, so the
 *    total is exactly S.
 * 4. When a node's target is smaller than its fragments, it keeps fragments in address order until
 *    the target (rounded down to 64 KiB) is used up, the last one cut at its top, and drops the rest
 *    and its bulk.
 * 5. Holes never shrink: when a run grew, every run above it moves up by the growth, the shift
 *    rounded up to the moved run's own alignment (the largest power of two dividing its original
 *    base, at most 1 TiB), so a node keeps the alignment its base had (Kunpeng node 1 at 32 GiB,
 *    node 2 at 128 GiB). Shrunk runs leave larger holes; nothing moves down.
 * 6. The kernel image goes 2 MiB + 64 KiB into the first run of at least 64 MiB (as QEMU loads it
 *    into the first bank; DEFAULT_KERNEL_LAYOUT's sizes), since Altra's first run is 1 MiB.
 * With S = T the fixture's runs come back unchanged. Every size is a multiple of 64 KiB, so every
 * layout can be mapped with 4K, 16K and 64K pages.
 */
import { formatSize } from "../units.js";
import { type MemoryBank, type MemoryMap, memblockFromMap, parseMemoryMap } from "../memmap/index.js";
import { DEFAULT_KERNEL_LAYOUT } from "../scenario.js";
import { ALTRA_1S_32G_BOOTLOG, KUNPENG920_D06_BOOTLOG } from "./fixtures.js";

/** The layouts the sweep knows. */
export const LAYOUT_NAMES = ["one-bank", "kunpeng920", "altra"] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** Where the one-bank layout's RAM starts (QEMU virt). */
export const ONE_BANK_BASE = 0x4000_0000n;

/** What each layout is, for the reports. */
export const LAYOUT_DESCRIPTIONS: Readonly<Record<LayoutName, string>> = {
  "one-bank": "one bank at 0x40000000 (QEMU virt's DRAM base)",
  kunpeng920: "Huawei D06 (Kunpeng 920) boot-log map: 4 nodes, 7 runs (node 0: 3 fragments below 2 GiB + bulk at 0x2080000000; nodes 1-3 at 0x2800000000, 0x202000000000, 0x202800000000), scaled",
  altra: "Ampere Altra 1-socket boot-log map: 1 node, 4 runs (1 MiB at 0x88300000, 1792 MiB at 0x90000000, 2 GiB at 8 TiB, bulk at 0x80100000000), scaled",
};

const KiB64 = 64n << 10n;
const MiB2 = 2n << 20n;
const TiB = 1n << 40n;
const MIN_KERNEL_RUN = 64n << 20n;

/** A run of memory: contiguous, one node. */
export interface Run {
  base: bigint;
  size: bigint;
  nid: number;
}

/** The runs of a parsed fixture (memblock-merged; node 0 when the input names none). */
export function runsOf(map: MemoryMap): Run[] {
  return memblockFromMap(map).memory.map((r) => ({ base: r.base, size: r.size, nid: r.nid ?? 0 }));
}

const fixtureRuns: Partial<Record<LayoutName, Run[]>> = {};

/** The fixture's runs of a multi-node layout. */
export function layoutShape(name: Exclude<LayoutName, "one-bank">): Run[] {
  fixtureRuns[name] ??= runsOf(
    name === "kunpeng920"
      ? parseMemoryMap(KUNPENG920_D06_BOOTLOG, { source: "kunpeng920-d06.bootlog", format: "bootlog" })
      : parseMemoryMap(ALTRA_1S_32G_BOOTLOG, { source: "altra-1s-32g.bootlog", format: "bootlog" }),
  );
  return fixtureRuns[name]!.map((r) => ({ ...r }));
}

/** Largest power of two dividing `base`, at most 1 TiB (1 TiB for 0). */
function alignmentOf(base: bigint): bigint {
  if (base === 0n) return TiB;
  const low = base & -base;
  return low < TiB ? low : TiB;
}

const roundUp = (v: bigint, a: bigint) => ((v + a - 1n) / a) * a;

/** Scales `runs` to `total` bytes by the rules in this file's comment. */
export function scaleLayout(runs: readonly Run[], total: bigint): Run[] {
  if (total <= 0n || total % KiB64 !== 0n) throw new RangeError(`layout size ${total}: must be a positive multiple of 64 KiB`);
  const T = runs.reduce((s, r) => s + r.size, 0n);
  const nodes = [...new Set(runs.map((r) => r.nid))];
  const nodeTotal = (k: number) => runs.filter((r) => r.nid === k).reduce((s, r) => s + r.size, 0n);
  let largest = nodes[0];
  for (const k of nodes) if (nodeTotal(k) > nodeTotal(largest)) largest = k;
  const newSize = new Map<Run, bigint>();

  /** Sizes a node's runs: fragments whole while they fit, then the bulk (rounded unless `exact`). */
  const sizeNode = (k: number, target: { num: bigint; den: bigint } | bigint) => {
    const own = runs.filter((r) => r.nid === k);
    let bulk = own[0];
    for (const r of own) if (r.size > bulk.size) bulk = r;
    const fragments = own.filter((r) => r !== bulk);
    const fragTotal = fragments.reduce((s, r) => s + r.size, 0n);
    // target as an exact fraction num/den of bytes
    const [num, den] = typeof target === "bigint" ? [target, 1n] : [target.num, target.den];
    if (num >= fragTotal * den) {
      for (const f of fragments) newSize.set(f, f.size);
      const rest = num - fragTotal * den; // bulk * den
      // Nearest 2 MiB (ties down) for the other nodes; the exact remainder for the largest node.
      const b = typeof target === "bigint" ? rest : ((2n * rest + den * MiB2 - 1n) / (2n * den * MiB2)) * MiB2;
      newSize.set(bulk, b);
    } else {
      let budget = (num / den / KiB64) * KiB64;
      for (const f of fragments) {
        const take = f.size < budget ? f.size : budget;
        newSize.set(f, take);
        budget -= take;
      }
      newSize.set(bulk, 0n);
    }
  };
  for (const k of nodes) if (k !== largest) sizeNode(k, { num: total * nodeTotal(k), den: T });
  const others = runs.filter((r) => r.nid !== largest).reduce((s, r) => s + newSize.get(r)!, 0n);
  if (others > total) throw new RangeError(`layout size ${total}: too small for the layout's nodes`);
  sizeNode(largest, total - others);

  // Placement: runs above a grown run move up; holes never shrink.
  const out: Run[] = [];
  let shift = 0n;
  let growth = 0n;
  for (const r of [...runs].sort((a, b) => (a.base < b.base ? -1 : 1))) {
    shift = roundUp(shift + (growth > 0n ? growth : 0n), alignmentOf(r.base));
    const size = newSize.get(r)!;
    growth = size - r.size;
    if (size > 0n) out.push({ base: r.base + shift, size, nid: r.nid });
  }
  const sum = out.reduce((s, r) => s + r.size, 0n);
  if (sum !== total) throw new Error(`internal: scaled layout totals ${sum}, not ${total}`);
  return out;
}

/** The memory map of layout `name` with `total` bytes of RAM. */
export function buildLayout(name: LayoutName, total: bigint): MemoryMap {
  if (!(LAYOUT_NAMES as readonly string[]).includes(name)) throw new RangeError(`layout ${name}: not one of ${LAYOUT_NAMES.join(", ")}`);
  if (total <= 0n || total % KiB64 !== 0n) throw new RangeError(`layout size ${total}: must be a positive multiple of 64 KiB`);
  const runs: Run[] = name === "one-bank" ? [{ base: ONE_BANK_BASE, size: total, nid: 0 }] : scaleLayout(layoutShape(name), total);
  const home = runs.find((r) => r.size >= MIN_KERNEL_RUN);
  if (!home) throw new RangeError(`layout ${name} at ${formatSize(total)}: no run of 64 MiB for the kernel image`);
  const L = DEFAULT_KERNEL_LAYOUT;
  const stext = home.base + L.textOffset + L.head;
  const last = runs[runs.length - 1];
  const memstart = (runs[0].base >> 30n) << 30n;
  if (last.base + last.size > memstart + (1n << 47n)) {
    throw new RangeError(`layout ${name} at ${formatSize(total)}: ends at 0x${(last.base + last.size).toString(16)}, beyond a 48-bit linear map's reach`);
  }
  const memory: MemoryBank[] = runs.map((r) => ({ base: r.base, size: r.size, nid: r.nid }));
  return {
    source: `${name} ${formatSize(total)}`,
    format: name === "one-bank" ? "shorthand" : "bootlog",
    paBits: 48,
    memory,
    nomap: [],
    reserved: [],
    kernel: { base: stext, size: L.code },
    kernelData: { base: stext + L.code, size: L.rest },
    notes: [LAYOUT_DESCRIPTIONS[name]],
  };
}
