/**
 * Leaf mappings by size, split by the contiguous hint, from a coalesced walk of the table: what
 * x86's DirectMap lines in /proc/meminfo count (arm64 prints no such lines).
 */
import { PTE_CONT, PTE_VALID } from "./descriptor.js";
import { entrySize } from "./geometry.js";
import type { PageTableEngine } from "./types.js";

/** Leaf entries by hardware level and CONT bit, and the bytes they map. */
export interface LeafCounts {
  /** Entry count by hardware level (3 = PTE, 2 = PMD, 1 = PUD). */
  entries: Record<number, number>;
  /** Of those, entries carrying CONT. */
  cont: Record<number, number>;
  /** Bytes mapped by valid leaves. */
  mappedBytes: bigint;
  /** The mapped VA ranges, adjacent ones merged (what the run-time model's workloads run over). */
  mapped: { va: bigint; length: bigint }[];
}

/** Counts the valid leaves in [start, end). */
export function countLeaves(pt: PageTableEngine, start?: bigint, end?: bigint): LeafCounts {
  const g = pt.geometry;
  const entries: Record<number, number> = {};
  const cont: Record<number, number> = {};
  let mappedBytes = 0n;
  const mapped: { va: bigint; length: bigint }[] = [];
  for (const r of pt.ranges({ start, end })) {
    if ((r.descriptor & PTE_VALID) === 0n) continue;
    const last = mapped[mapped.length - 1];
    if (last && last.va + last.length === r.start) last.length += r.end - r.start;
    else mapped.push({ va: r.start, length: r.end - r.start });
    const size = entrySize(g, 3 - r.level);
    const n = Number((r.end - r.start) / size);
    entries[r.level] = (entries[r.level] ?? 0) + n;
    if (r.descriptor & PTE_CONT) cont[r.level] = (cont[r.level] ?? 0) + n;
    mappedBytes += r.end - r.start;
  }
  return { entries, cont, mappedBytes, mapped };
}
