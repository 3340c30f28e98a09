/**
 * Compares two dumps address by address: where both map but with another level or other attributes,
 * and where only one of them maps anything. Lines without attributes (holes, zero PTEs) map nothing;
 * addresses a dump has no line for are "absent" from it.
 */
import type { ParsedPtdump, PtdumpRange, PtdumpSection } from "./parse.js";

/** What one dump has at an address range. */
export interface PtdumpSide {
  /** "mapped": a line with attributes; "empty": a line without (a hole); "absent": no line. */
  readonly state: "mapped" | "empty" | "absent";
  /** The level name of the line, if any. */
  readonly level: string | undefined;
  readonly attributes: readonly string[];
  readonly memType: string | undefined;
}

/** "changed": both map, differently (or both are holes at different levels); "only-a"/"only-b": one maps. */
export type PtdumpDiffKind = "changed" | "only-a" | "only-b";

/** One address range where the dumps differ. */
export interface PtdumpDiffEntry {
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly kind: PtdumpDiffKind;
  readonly a: PtdumpSide;
  readonly b: PtdumpSide;
  readonly levelDiffers: boolean;
  /** Attribute words or memory type differ. */
  readonly attributesDiffer: boolean;
}

/** Counts and bytes per kind. */
export interface PtdumpDiffSummary {
  readonly total: number;
  readonly changed: number;
  readonly onlyA: number;
  readonly onlyB: number;
  readonly bytes: { readonly changed: bigint; readonly onlyA: bigint; readonly onlyB: bigint };
}

/** The differences, in address order, and their summary. */
export interface PtdumpDiff {
  readonly entries: readonly PtdumpDiffEntry[];
  readonly summary: PtdumpDiffSummary;
}

/** A whole parsed dump, one of its sections, or range lines. */
export type PtdumpInput = ParsedPtdump | PtdumpSection | readonly PtdumpRange[];

const ABSENT: PtdumpSide = { state: "absent", level: undefined, attributes: [], memType: undefined };

/** The range lines of an input, checked to be in address order without overlap. */
function rangesOf(x: PtdumpInput, label: string): readonly PtdumpRange[] {
  let rs: readonly PtdumpRange[];
  if (Array.isArray(x)) rs = x as readonly PtdumpRange[];
  else if ("lines" in x) rs = x.lines.filter((l): l is PtdumpRange => l.kind === "range");
  else rs = (x as PtdumpSection).ranges;
  for (let i = 1; i < rs.length; i++) {
    if (rs[i].start < rs[i - 1].end) {
      throw new RangeError(`dump ${label}: line ${rs[i].line} starts below the end of line ${rs[i - 1].line}`);
    }
  }
  return rs;
}

function sideOf(r: PtdumpRange | undefined): PtdumpSide {
  if (!r) return ABSENT;
  const mapped = r.attributes.length > 0 || r.memType !== undefined;
  return { state: mapped ? "mapped" : "empty", level: r.level, attributes: r.attributes, memType: r.memType };
}

const sameAttributes = (a: PtdumpSide, b: PtdumpSide): boolean =>
  a.memType === b.memType && a.attributes.length === b.attributes.length && a.attributes.every((w, i) => w === b.attributes[i]);

const sameSide = (a: PtdumpSide, b: PtdumpSide): boolean => a.state === b.state && a.level === b.level && sameAttributes(a, b);

/** The kind of difference between two sides, or undefined when they agree. */
function kindOf(a: PtdumpSide, b: PtdumpSide): PtdumpDiffKind | undefined {
  const am = a.state === "mapped";
  const bm = b.state === "mapped";
  if (am && bm) return sameSide(a, b) ? undefined : "changed";
  if (am) return "only-a";
  if (bm) return "only-b";
  return a.state === "empty" && b.state === "empty" && a.level !== b.level ? "changed" : undefined;
}

/** The line of `rs` covering `addr`, advancing the cursor `c` (addresses are visited in order). */
function cover(rs: readonly PtdumpRange[], c: { i: number }, addr: bigint): PtdumpRange | undefined {
  while (c.i < rs.length && rs[c.i].end <= addr) c.i++;
  const r = rs[c.i];
  return r && r.start <= addr ? r : undefined;
}

/** Where dumps `a` and `b` differ, aligned by address; adjacent pieces that differ alike are merged. */
export function diffPtdump(a: PtdumpInput, b: PtdumpInput): PtdumpDiff {
  const ra = rangesOf(a, "A");
  const rb = rangesOf(b, "B");
  const points = [...new Set([...ra, ...rb].flatMap((r) => [r.start, r.end]))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const entries: PtdumpDiffEntry[] = [];
  const ca = { i: 0 };
  const cb = { i: 0 };
  for (let k = 0; k + 1 < points.length; k++) {
    const [start, end] = [points[k], points[k + 1]];
    const sa = sideOf(cover(ra, ca, start));
    const sb = sideOf(cover(rb, cb, start));
    const kind = kindOf(sa, sb);
    if (!kind) continue;
    const last = entries[entries.length - 1];
    if (last && last.end === start && last.kind === kind && sameSide(last.a, sa) && sameSide(last.b, sb)) {
      entries[entries.length - 1] = { ...last, end };
      continue;
    }
    const levelDiffers = sa.level !== undefined && sb.level !== undefined && sa.level !== sb.level;
    entries.push({ start, end, kind, a: sa, b: sb, levelDiffers, attributesDiffer: !sameAttributes(sa, sb) });
  }
  const count = (k: PtdumpDiffKind): number => entries.filter((e) => e.kind === k).length;
  const bytes = (k: PtdumpDiffKind): bigint => entries.filter((e) => e.kind === k).reduce((s, e) => s + e.end - e.start, 0n);
  return {
    entries,
    summary: {
      total: entries.length,
      changed: count("changed"),
      onlyA: count("only-a"),
      onlyB: count("only-b"),
      bytes: { changed: bytes("changed"), onlyA: bytes("only-a"), onlyB: bytes("only-b") },
    },
  };
}

/** The name of the section `diff` compares by default. */
export const LINEAR_MAPPING = "Linear Mapping";

/**
 * The range lines of a dump's Linear Mapping sections, and a one-line note when the dump has other
 * sections that are left out (or has no Linear Mapping section, so that all of it is kept).
 */
export function linearSections(dump: ParsedPtdump, label: string): { ranges: PtdumpRange[]; note: string | undefined } {
  const named = dump.sections.filter((s) => s.name !== undefined);
  const linear = dump.sections.filter((s) => s.name === LINEAR_MAPPING);
  const all = dump.lines.filter((l): l is PtdumpRange => l.kind === "range");
  if (linear.length === 0) {
    return { ranges: all, note: named.length > 0 ? `${label} has no ${LINEAR_MAPPING} section: all of it is compared` : undefined };
  }
  const ranges = linear.flatMap((s) => [...s.ranges]);
  const others = [...new Set(dump.sections.filter((s) => s.name !== LINEAR_MAPPING && s.ranges.length > 0).map((s) => s.name ?? "lines outside any section"))];
  const dropped = all.length - ranges.length;
  return {
    ranges,
    note: dropped > 0 ? `${label}: only its ${LINEAR_MAPPING} section is compared; ${dropped} lines of ${others.join(", ")} are left out (--all-sections compares them)` : undefined,
  };
}
