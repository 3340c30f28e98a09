/**
 * Typed errors of the engines. Every failure of a call is one of these; the page table is left as it
 * was before the call, except after an `EngineTrapError`, which marks it unusable.
 */

/** Base class: `code` says which failure, for programs that switch on it. */
export class PgtableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument is out of its domain: unaligned, zero, out of range, or bits that may not be set. */
export class InvalidArgumentError extends PgtableError {
  readonly argument: string;
  readonly reason: string;
  constructor(argument: string, reason: string) {
    super("invalid-argument", `${argument}: ${reason}`);
    this.argument = argument;
    this.reason = reason;
  }
}

function hex(v: bigint): string {
  return `0x${v.toString(16).padStart(16, "0")}`;
}

/** A live entry would change in a way the kernel BUGs on (`pgattr_change_is_safe`, `pmd_bad`). */
export class UnsafeChangeError extends PgtableError {
  readonly va: bigint;
  readonly level: number;
  readonly old: bigint;
  readonly new: bigint;
  constructor(va: bigint, level: number, oldDesc: bigint, newDesc: bigint) {
    super(
      "unsafe",
      `unsafe change of a live entry at va ${hex(va)} level ${level}: ${hex(oldDesc)} -> ${hex(newDesc)}`,
    );
    this.va = va;
    this.level = level;
    this.old = oldDesc;
    this.new = newDesc;
  }
}

/** A page-granular operation met a block or contiguous entry it may not rewrite or split. */
export class BlockMappingError extends PgtableError {
  readonly va: bigint;
  readonly level: number;
  readonly descriptor: bigint;
  constructor(va: bigint, level: number, descriptor: bigint, what: string) {
    super("block", `${what} at va ${hex(va)} level ${level} (descriptor ${hex(descriptor)})`);
    this.va = va;
    this.level = level;
    this.descriptor = descriptor;
  }
}

/** An operation on mapped memory met an empty entry. */
export class NotMappedError extends PgtableError {
  readonly va: bigint;
  readonly level: number;
  constructor(va: bigint, level: number) {
    super("not-mapped", `va ${hex(va)} is not mapped (empty entry at level ${level})`);
    this.va = va;
    this.level = level;
  }
}

/** The table frames a call needs cannot be had. Nothing was written. */
export class OutOfMemoryError extends PgtableError {
  readonly framesNeeded: number;
  constructor(framesNeeded: number, limit: string) {
    super("out-of-memory", `out of table memory: ${framesNeeded} more table pages needed (${limit})`);
    this.framesNeeded = framesNeeded;
  }
}

/** The WebAssembly engine trapped. The page table that raised it can no longer be used. */
export class EngineTrapError extends PgtableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("trap", `engine trapped: ${message}`);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A call on a page table that an earlier trap or `dispose()` made unusable. */
export class EngineUnusableError extends PgtableError {
  constructor(why: string) {
    super("unusable", `this page table can no longer be used: ${why}`);
  }
}
