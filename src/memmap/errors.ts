/** The typed error of every memory-map parser. */
import { PgtableError } from "../errors.js";

/**
 * A memory map that cannot be read: `source` (file name or `<shorthand>`), `line` (1-based; 0 when
 * the whole input is at fault) and `reason`. The message is one line: `rpi.iomem:7: end 0x3b3fffff is
 * before start 0x3c000000`, or `rpi.iomem: no "System RAM" ranges` when `line` is 0.
 */
export class MemoryMapError extends PgtableError {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
  constructor(source: string, line: number, reason: string) {
    super("memory-map", line > 0 ? `${source}:${line}: ${reason}` : `${source}: ${reason}`);
    this.source = source;
    this.line = line;
    this.reason = reason;
  }
}
