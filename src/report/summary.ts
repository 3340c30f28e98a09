/** The JSON summary of a linear map: table pages per level, leaves by size, bytes mapped. */
import { type LeafCounts, countLeaves } from "../leaves.js";
import type { PageTableEngine } from "../types.js";

/** `summary --json`: what the kernel spent on the linear map's tables and how it mapped memory. */
export interface LinearMapSummary {
  /** Table pages below the PGD, by level (P4D tables only with five levels: 4K pages, 52-bit VAs). */
  tables: { p4d?: number; pud: number; pmd: number; pte: number };
  /** Their bytes (the PGD page not counted). */
  tableBytes: number;
  /** Valid leaf entries; cont counts are entries that carry the CONT bit. */
  leaves: { pudBlocks: number; pmdBlocks: number; pmdCont: number; ptes: number; pteCont: number };
  /** Bytes mapped by valid leaves. */
  mappedBytes: number;
}

/** Summarises the linear map [start, end) of `pt`, whose tables all belong to the linear map. */
export function summarize(pt: PageTableEngine, start: bigint, end: bigint, counted?: LeafCounts): LinearMapSummary {
  const g = pt.geometry;
  const s = pt.stats();
  // Distance from the leaf of P4D, PUD, PMD and PTE tables; the top table (PGD) is not counted.
  const live = (d: number) => (d < g.levels - 1 ? s.levels[d].live : 0);
  const tables = { ...(g.levels === 5 ? { p4d: live(3) } : {}), pud: live(2), pmd: live(1), pte: live(0) };
  const leaves = counted ?? countLeaves(pt, start, end);
  return {
    tables,
    tableBytes: ((tables.p4d ?? 0) + tables.pud + tables.pmd + tables.pte) * Number(g.pageSize),
    leaves: {
      pudBlocks: leaves.entries[1] ?? 0,
      pmdBlocks: leaves.entries[2] ?? 0,
      pmdCont: leaves.cont[2] ?? 0,
      ptes: leaves.entries[3] ?? 0,
      pteCont: leaves.cont[3] ?? 0,
    },
    mappedBytes: Number(leaves.mappedBytes),
  };
}

/** A crashkernel reservation in JSON: the start as hex text (a physical address), the size in bytes. */
export interface CrashkernelJson {
  start: string;
  size: number;
  /** The low part of a `,high` reservation. */
  low?: { start: string; size: number };
}

/** `summary --json`: the summary, where the crashkernel landed, and the notes about the inputs. */
export interface ScenarioJson extends LinearMapSummary {
  /** The crashkernel reservation, when there is one. */
  crashkernel?: CrashkernelJson;
  /** One line each: what an input did not change and why, and the parsers' notes. */
  notes: string[];
}

/** What `summary --json` prints for a booted scenario. */
export function scenarioJson(s: LinearMapSummary, sc: { boot: { crashkernel?: { base: bigint; size: bigint; low?: { base: bigint; size: bigint } } }; notes: readonly string[] }): ScenarioJson {
  const ck = sc.boot.crashkernel;
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  return {
    ...s,
    ...(ck && ck.size > 0n
      ? { crashkernel: { start: hex(ck.base), size: Number(ck.size), ...(ck.low ? { low: { start: hex(ck.low.base), size: Number(ck.low.size) } } : {}) } }
      : {}),
    notes: [...sc.notes],
  };
}
