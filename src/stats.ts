/** Counters as both engines keep them, and the Stats the interface reports. */
import type { Geometry } from "./geometry.js";
import type { LevelStats, Stats, TableLevelName } from "./types.js";

/** Raw per-level counters, indexed by distance from the leaf (length 5). */
export interface StatsCounters {
  allocated: number[];
  freed: number[];
  writes: number[];
}

/** The kernel's name of the tables at distance d from the leaf in a table of `levels` levels. */
export function tableLevelName(d: number, levels: number): TableLevelName {
  return d === levels - 1 ? "PGD" : (["PTE", "PMD", "PUD", "P4D"] as const)[d];
}

/** Builds Stats from raw counters. */
export function statsFromCounters(g: Geometry, c: StatsCounters): Stats {
  const levels: LevelStats[] = [];
  for (let d = 0; d < g.levels; d++) {
    levels.push({ name: tableLevelName(d, g.levels), level: 3 - d, allocated: c.allocated[d], freed: c.freed[d], live: c.allocated[d] - c.freed[d], writes: c.writes[d] });
  }
  return statsOfLevels(g, levels);
}

/** Stats from per-level counts: totals, and the bytes of the tables below the PGD. */
export function statsOfLevels(g: Pick<Geometry, "pageSize">, levels: LevelStats[]): Stats {
  const liveFrames = levels.reduce((n, l) => n + l.live, 0);
  const belowPgd = liveFrames - levels[levels.length - 1].live;
  return { levels, liveFrames, tableBytes: belowPgd * Number(g.pageSize), descriptorsWritten: levels.reduce((n, l) => n + l.writes, 0) };
}
