/**
 * Reading an input file whole, with a bound: memory maps, boot logs, device trees, .config files,
 * symbol tables and ptdumps are text of kilobytes to a few megabytes; anything past INPUT_LIMIT
 * (a wrong file, /dev/zero) is refused before it is held, whether its size is known (a regular
 * file) or not (a device, a FIFO, a /proc file): those are read in chunks, and refused at the bound.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The largest input read whole: 64 MiB. */
export const INPUT_LIMIT = 64 * 2 ** 20;

/** An input that could not be read: `reason` says why. */
export class InputFileError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = "InputFileError";
    this.path = path;
    this.reason = reason;
  }
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return (e as Error).message.split("\n")[0];
}

/** The text of `path` (UTF-8), at most `limit` bytes; throws an InputFileError naming it. */
export function readInputText(path: string, limit = INPUT_LIMIT): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new InputFileError(path, reasonOf(e));
  }
  const tooLarge = () => new InputFileError(path, `larger than ${limit / 2 ** 20} MiB: not an input this tool reads whole`);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(path, "is a directory");
    if (st.isFile() && st.size > limit) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, limit + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) throw tooLarge();
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(path, reasonOf(e));
  } finally {
    closeSync(fd);
  }
}
