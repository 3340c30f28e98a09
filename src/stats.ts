/** Counters as both engines keep them, and the Stats the interface reports. */
import type { Geometry } from "./geometry.js";
import type { Stats } from "./types.js";

/** Raw per-level counters, indexed by distance from the leaf (length 5). */
export interface StatsCounters {
  allocated: number[];
  freed: number[];
  writes: number[];
}

/** Builds Stats from raw counters. */
export function statsFromCounters(g: Geometry, c: StatsCounters): Stats {
  const levels = [];
  let liveFrames = 0;
  let descriptorsWritten = 0;
  for (let d = 0; d < g.levels; d++) {
    const live = c.allocated[d] - c.freed[d];
    levels.push({ allocated: c.allocated[d], freed: c.freed[d], live, writes: c.writes[d] });
    liveFrames += live;
    descriptorsWritten += c.writes[d];
  }
  return { levels, liveFrames, tableBytes: liveFrames * Number(g.pageSize), descriptorsWritten };
}
