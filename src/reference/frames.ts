/**
 * Table frames of the reference engine: one `BigUint64Array` per page of table memory, a LIFO free
 * list, a bump counter and per-level counters. Every store goes through `store`, and every mutating
 * call runs inside a transaction so that a refused call leaves nothing behind (the contract's
 * "refused before anything is written").
 */
import { statsOfLevels, tableLevelName } from "../stats.js";
import type { LevelStats, Stats } from "../types.js";

/** Counters of one level `d` (distance from the leaf). */
interface Counters {
  allocated: number;
  freed: number;
  writes: number;
}

/** Work done inside one transaction, as the engine methods report it. */
export interface TxnTotals {
  framesAllocated: number;
  framesFreed: number;
  descriptorsWritten: number;
}

/** Undo log of one transaction. */
interface Journal {
  bump: number;
  freeList: number[];
  counters: Counters[];
  frames: number[];
  indexes: number[];
  olds: bigint[];
  totals: TxnTotals;
}

function zeroCounters(levels: number): Counters[] {
  return Array.from({ length: levels }, () => ({ allocated: 0, freed: 0, writes: 0 }));
}

/** The frame pool: frame 0 is the PGD; new frames come from the free list (LIFO), else the bump counter. */
export class FramePool {
  private frames: BigUint64Array[] = [];
  private freeList: number[] = [];
  private bump = 0;
  private counters: Counters[];
  private journal: Journal | undefined;

  /** A pool whose frame 0 is a fresh PGD, counted as allocated at the top level. */
  constructor(
    private readonly entriesPerTable: number,
    private readonly levels: number,
  ) {
    this.counters = zeroCounters(levels);
    this.reset();
  }

  /** Back to the state of a new pool: only the PGD (frame 0, zeroed), counters zero but its allocation. */
  reset(): void {
    this.journal = undefined;
    this.frames = [this.frames[0] ?? new BigUint64Array(this.entriesPerTable)];
    this.freeList = [];
    this.bump = 0;
    this.counters = zeroCounters(this.levels);
    this.alloc(this.levels - 1);
  }

  /** The entries of frame `frame`. */
  table(frame: number): BigUint64Array {
    const t = this.frames[frame];
    if (t === undefined) throw new Error(`internal: frame ${frame} does not exist`);
    return t;
  }

  /** Allocates a zeroed frame for a table at level `d`: LIFO free list first, else the bump counter. */
  alloc(d: number): number {
    const frame = this.freeList.length > 0 ? (this.freeList.pop() as number) : this.bump++;
    let t = this.frames[frame];
    if (t === undefined) {
      t = new BigUint64Array(this.entriesPerTable);
      this.frames[frame] = t;
    } else {
      t.fill(0n);
    }
    this.counters[d].allocated++;
    if (this.journal) this.journal.totals.framesAllocated++;
    return frame;
  }

  /** Returns the frame of a table at level `d` to the free list. */
  free(frame: number, d: number): void {
    this.freeList.push(frame);
    this.counters[d].freed++;
    if (this.journal) this.journal.totals.framesFreed++;
  }

  /** Stores `value` into entry `index` of frame `frame`, a table at level `d` (counted as a write there). */
  store(frame: number, index: number, value: bigint, d: number): void {
    const t = this.table(frame);
    const j = this.journal;
    if (j) {
      j.frames.push(frame);
      j.indexes.push(index);
      j.olds.push(t[index]);
      j.totals.descriptorsWritten++;
    }
    t[index] = value;
    this.counters[d].writes++;
  }

  /** Starts a transaction: everything until `commit` can be undone by `rollback`. */
  begin(): void {
    this.journal = {
      bump: this.bump,
      freeList: this.freeList.slice(),
      counters: this.counters.map((c) => ({ ...c })),
      frames: [],
      indexes: [],
      olds: [],
      totals: { framesAllocated: 0, framesFreed: 0, descriptorsWritten: 0 },
    };
  }

  /** Ends the transaction and returns the work it did. */
  commit(): TxnTotals {
    const j = this.journal;
    if (!j) throw new Error("internal: commit without begin");
    this.journal = undefined;
    return j.totals;
  }

  /** Undoes every store, allocation and free of the transaction. */
  rollback(): void {
    const j = this.journal;
    if (!j) return;
    this.journal = undefined;
    for (let k = j.olds.length - 1; k >= 0; k--) this.table(j.frames[k])[j.indexes[k]] = j.olds[k];
    this.bump = j.bump;
    this.freeList = j.freeList;
    this.counters = j.counters;
  }

  /** Runs `body` as one transaction: committed if it returns, rolled back if it throws. */
  transaction(body: () => void): TxnTotals {
    this.begin();
    try {
      body();
    } catch (e) {
      this.rollback();
      throw e;
    }
    return this.commit();
  }

  /** The counters in the shape of `Stats`. */
  stats(pageSize: bigint): Stats {
    const levels: LevelStats[] = this.counters.map((c, d) => ({
      name: tableLevelName(d, this.counters.length),
      level: 3 - d,
      allocated: c.allocated,
      freed: c.freed,
      live: c.allocated - c.freed,
      writes: c.writes,
    }));
    return statsOfLevels({ pageSize }, levels);
  }

  /** Drops every frame (dispose). */
  release(): void {
    this.frames = [];
    this.freeList = [];
    this.journal = undefined;
  }
}
