/**
 * arm64 `note_page()` (6.1 ptdump.c:251-306; the same logic in 5.10, 6.12 and later): the state
 * machine that coalesces the walker's calls into lines and prints the address markers.
 */
import type { PtdumpFlavour } from "./flavour.js";
import { markerLine, rangeLine } from "./line.js";
import { protStrings } from "./prot-bits.js";

/** An address marker (`struct addr_marker`). */
export interface AddressMarker {
  readonly start: bigint;
  readonly name: string;
}

/** The printer: feed it the walker's calls in address order, read `lines`. */
export class NotePage {
  /** Lines printed so far, without newlines. */
  readonly lines: string[] = [];
  #level: number;
  #prot = 0n;
  #start = 0n;
  #marker = 0;

  /**
   * `markers` must end with a sentinel above every address fed in. `names` are the flavour's
   * `pg_level[].name`. 5.10's ptdump_walk() starts at level 0, not -1 (ptdump.c:316-337).
   */
  constructor(
    private readonly flavour: PtdumpFlavour,
    private readonly names: readonly string[],
    private readonly markers: readonly AddressMarker[],
  ) {
    this.#level = flavour === "5.10" ? 0 : -1;
  }

  /** One `note_page(st, addr, level, val)` call, with `prot = val & mask` already applied. */
  note(addr: bigint, level: number, prot: bigint): void {
    const next = (): bigint => this.markers[this.#marker + 1].start;
    if (this.#level === -1) {
      this.#level = level;
      this.#prot = prot;
      this.#start = addr;
      this.lines.push(markerLine(this.markers[this.#marker].name));
    } else if (prot !== this.#prot || level !== this.#level || addr >= next()) {
      const strings = this.#prot !== 0n ? protStrings(this.flavour, this.#prot) : [];
      this.lines.push(rangeLine(this.#start, addr, this.names[this.#level], strings));
      if (addr >= next()) {
        this.#marker++;
        this.lines.push(markerLine(this.markers[this.#marker].name));
      }
      this.#start = addr;
      this.#prot = prot;
      this.#level = level;
    }
    if (addr >= next()) {
      this.#marker++;
      this.lines.push(markerLine(this.markers[this.#marker].name));
    }
  }
}
