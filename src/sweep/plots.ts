/**
 * The sweep's plots: cost against memory size, log-log, one line per policy, one panel per layout;
 * vega-lite compiled to vega and rendered to SVG in Node (renderer "none", no canvas, no browser).
 * vega and vega-lite are loaded on first use, so that other commands do not pay for them.
 */
import type * as vl from "vega-lite";
import type { PointResult } from "./point.js";

/** One plot: a file name, a title and the metric it draws. */
export interface PlotSpec {
  file: string;
  title: string;
  axis: string;
  /** d3 number format of the y axis. */
  format: string;
  value: (p: PointResult) => number;
}

/** The three plots of the report. */
export const PLOTS: readonly PlotSpec[] = [
  { file: "table-bytes.svg", title: "Page-table memory of the linear map", axis: "table memory (bytes)", format: "~s", value: (p) => p.tableBytes },
  { file: "descriptors.svg", title: "Descriptors written at boot", axis: "descriptors written", format: "~s", value: (p) => p.descriptorsWritten },
  { file: "build-time.svg", title: "Build time in the simulator (cold: a new table)", axis: "cold build (ms)", format: "~g", value: (p) => p.coldMs },
];

/** The vega-lite specification of `plot` over `points` (failed points and values <= 0 left out). */
export function plotSpec(plot: PlotSpec, points: readonly PointResult[], policyOrder: readonly string[], layoutOrder: readonly string[]): vl.TopLevelSpec {
  const values = points
    .filter((p) => p.ok && plot.value(p) > 0)
    .map((p) => ({ layout: p.layout, policy: p.policy, ram: p.sizeBytes, value: plot.value(p), size: p.size }));
  const ticks = [...new Set(points.map((p) => p.sizeBytes))].sort((a, b) => a - b);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: plot.title, subtitle: "log-log, one line per policy (policies of equal cost overlap)", anchor: "start" },
    data: { values },
    facet: { column: { field: "layout", type: "nominal", sort: [...layoutOrder], title: null } },
    spec: {
      width: 300,
      height: 260,
      mark: { type: "line", point: true, clip: true },
      encoding: {
        x: {
          field: "ram",
          type: "quantitative",
          scale: { type: "log" },
          title: "RAM",
          axis: { values: ticks, labelExpr: "datum.value >= 1099511627776 ? round(datum.value / 1099511627776) + 'T' : round(datum.value / 1073741824) + 'G'", grid: true },
        },
        y: { field: "value", type: "quantitative", scale: { type: "log" }, title: plot.axis, axis: { format: plot.format } },
        color: { field: "policy", type: "nominal", sort: [...policyOrder], title: "policy", scale: { scheme: "tableau10" } },
        strokeDash: { field: "policy", type: "nominal", sort: [...policyOrder], title: "policy" },
        tooltip: [{ field: "policy" }, { field: "size" }, { field: "value" }],
      },
    },
  } as vl.TopLevelSpec;
}

/** Renders a vega-lite specification to an SVG string. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
