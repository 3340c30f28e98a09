/** The error of the ptdump parser. */
import { PgtableError } from "../errors.js";
import { oneLine } from "../memmap/errors.js";

/** A ptdump text that is not well formed: where (`source`, 1-based `line`) and why (`reason`). */
export class PtdumpParseError extends PgtableError {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
  constructor(source: string, line: number, reason: string) {
    const why = oneLine(reason);
    super("ptdump-parse", `${oneLine(source)}:${line}: ${why}`);
    this.source = source;
    this.line = line;
    this.reason = why;
  }
}
