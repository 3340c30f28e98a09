/**
 * The Linear Mapping section of `/sys/kernel/debug/kernel_page_tables`, byte for byte, from an
 * engine: the engine's `ranges()` (split at least wherever the kernel could split), turned into the
 * walker's note_page() calls, fed to the kernel's own coalescing and printing.
 */
import { entrySize } from "../geometry.js";
import type { MappedRange, PageTableEngine } from "../types.js";
import { type LinearMapBounds, linearMapBounds } from "./bounds.js";
import type { PtdumpFlavour } from "./flavour.js";
import { PRESENCE_BITS, isNoted, levelNames, noteLevel, walkerLevel } from "./levels.js";
import { NotePage } from "./note-page.js";
import { ptdumpMask } from "./prot-bits.js";

const TOP = 1n << 64n;
const ALL_BITS = TOP - 1n;

/** Options of formatLinearMap. */
export interface FormatOptions {
  /** Marker addresses (default: the flavour's PAGE_OFFSET and PAGE_END for the geometry). */
  bounds?: LinearMapBounds;
}

/** One note_page() call: address, walker level (after the flavour's renaming) and masked prot. */
interface Note {
  addr: bigint;
  level: number;
  prot: bigint;
}

/** Turns engine ranges into the note_page() calls the kernel's walk would make for them. */
class Walker {
  readonly mask: bigint;
  readonly levels: number;
  /**
   * The top-level entry that holds PAGE_END when PAGE_END does not start one (52-bit VAs with LPA2:
   * 4K pages, 5 levels; 16K pages): it is shared with the rest of the kernel half (image, modules,
   * vmalloc, fixmap), so the kernel always has a table there and the walk descends into it. The
   * model maps the linear map only, so an empty top entry there stands for that table.
   */
  readonly shared: { start: bigint; size: bigint } | undefined;
  constructor(
    private readonly pt: PageTableEngine,
    private readonly flavour: PtdumpFlavour,
    pageEnd: bigint | undefined,
  ) {
    this.mask = ptdumpMask(flavour);
    this.levels = pt.geometry.levels;
    const size = entrySize(pt.geometry, this.levels - 1);
    this.shared = pageEnd === undefined || pageEnd % size === 0n ? undefined : { start: pageEnd - (pageEnd % size), size };
  }

  /** Whether `r` is an empty top-level entry standing for the shared table. */
  #inShared(r: MappedRange): boolean {
    const sh = this.shared;
    return sh !== undefined && r.descriptor === 0n && 3 - r.level === this.levels - 1 && r.start < sh.start + sh.size && r.end > sh.start;
  }

  /** The calls for the entries of [start, end), in address order. */
  notes(start: bigint, end: bigint): Note[] {
    const out: Note[] = [];
    // Split on the ptdump mask and on every bit that decides whether an entry is noted at all.
    for (const r of this.pt.ranges({ start, end, mask: this.mask | PRESENCE_BITS })) this.#range(r, out);
    return out;
  }

  #note(out: Note[], addr: bigint, d: number, hole: boolean, prot: bigint): void {
    const level = noteLevel(this.flavour, this.levels, walkerLevel(this.levels, d, hole));
    out.push({ addr, level, prot });
  }

  #range(r: MappedRange, out: Note[]): void {
    const d = 3 - r.level;
    if (this.#inShared(r)) {
      // Holes before the shared entry at the top level; inside it, holes one level down.
      const sh = this.shared!;
      if (r.start < sh.start) this.#note(out, r.start, d, true, 0n);
      this.#note(out, r.start > sh.start ? r.start : sh.start, d - 1, true, 0n);
      return;
    }
    if (d === 0) {
      this.#note(out, r.start, 0, false, r.descriptor & this.mask); // every PTE, zero ones too
    } else if (r.descriptor === 0n) {
      this.#note(out, r.start, d, true, 0n); // pte_hole(): a hole at its real depth
    } else if (isNoted(this.flavour, d, r.descriptor)) {
      this.#note(out, r.start, d, false, r.descriptor & this.mask);
    } else {
      // Not noted (an invalid block the flavour does not call present): skipped. The engine may have
      // merged holes after it into this range, so look at each entry on its own.
      for (const s of this.pt.ranges({ start: r.start, end: r.end, mask: ALL_BITS })) {
        if (s.descriptor === 0n) this.#note(out, s.start, d, true, 0n);
      }
    }
  }

  /**
   * The first address at or after `addr` where the walker calls note_page(): the start of the entry
   * that covers `addr` if it starts there, else the next entry boundary, skipping entries not noted.
   */
  firstNoteAt(addr: bigint): bigint {
    const g = this.pt.geometry;
    let a = addr;
    while (a < TOP) {
      const [r] = this.pt.ranges({ start: a, end: a + g.pageSize, mask: ALL_BITS });
      const d = 3 - r.level - (this.#inShared(r) ? 1 : 0); // the shared entry is walked one level down
      const size = entrySize(g, d);
      const entryStart = a & ~(size - 1n);
      if (entryStart === a && (d === 0 || r.descriptor === 0n || isNoted(this.flavour, d, r.descriptor))) return a;
      a = entryStart + size;
    }
    return TOP;
  }
}

/**
 * The kernel's Linear Mapping section for `pt` as `flavour` prints it: the start marker (absent in
 * 5.10), one line per run of entries with the same level and masked prot, the end marker; every line
 * ends with "\n". Levels are named as the flavour names them for `pt.geometry.levels`.
 */
export function formatLinearMap(pt: PageTableEngine, flavour: PtdumpFlavour, options: FormatOptions = {}): string {
  const g = pt.geometry;
  const bounds = options.bounds ?? linearMapBounds(g, flavour);
  // The shared top entry is the kernel's own layout: only with the real PAGE_END.
  const walker = new Walker(pt, flavour, options.bounds ? undefined : bounds.end);
  const printer = new NotePage(flavour, levelNames(flavour, g.levels), [
    { start: bounds.start, name: "Linear Mapping start" },
    { start: bounds.end, name: "Linear Mapping end" },
    { start: TOP + 1n, name: "" }, // the next section's marker: beyond every address
  ]);
  // The line that crosses PAGE_END ends at the walker's first call at or after it.
  const stop = walker.firstNoteAt(bounds.end);
  if (stop > bounds.start) {
    for (const n of walker.notes(bounds.start, stop)) printer.note(n.addr, n.level, n.prot);
  }
  printer.note(stop, -1, 0n); // the call that closes the section (its level and prot do not show)
  return printer.lines.map((l) => `${l}\n`).join("");
}
