/** The typed error of every memory-map parser. */
import { PgtableError } from "../errors.js";

/**
 * Text made safe for a one-line message: control characters (tab aside) and the Unicode line
 * separators that input text quoted in a reason may hold are written as escapes (`\r`, `\u0000`,
 * `\u2028`), so that a message stays one line whatever the input held.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

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
    const why = oneLine(reason);
    super("memory-map", line > 0 ? `${oneLine(source)}:${line}: ${why}` : `${oneLine(source)}: ${why}`);
    this.source = source;
    this.line = line;
    this.reason = why;
  }
}
