/**
 * Writing an output file as a user expects: a regular file (or a new one) atomically — a temporary
 * file beside it, then a rename, so a reader sees the old content or the new, never a part, and a
 * failure leaves no partial file; a device, a FIFO or a socket written in place (replacing
 * /dev/stdout or a pipe by a regular file would be wrong); a symbolic link followed to its target,
 * which is then treated by the same rules. Errors name the path the user gave, never the temporary.
 */
import { chmodSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** A file or folder that could not be written: `path` is the user's, `reason` says why, `option` which option named it. */
export class OutputFileError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, option?: string) {
    super(`${option ? `${option} ` : ""}${path}: ${reason}`);
    this.name = "OutputFileError";
    this.path = path;
    this.reason = reason;
  }
}

/** The reason of a failed file-system call, as a few words. */
function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: "no such folder",
    ENOTDIR: "a part of the path is not a folder",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EISDIR: "is a folder",
    EEXIST: "exists and is not a folder",
    ENAMETOOLONG: "name too long",
    ELOOP: "too many levels of symbolic links",
  };
  return (code && words[code]) ?? (e as Error).message;
}

/**
 * Makes `dir` and its missing parents, one level at a time (Node 20's `mkdirSync(…, { recursive })`
 * loops for ever under /proc, where mkdir answers ENOENT).
 */
export function makeDirs(dir: string, shown = dir): void {
  const full = resolve(dir);
  try {
    if (statSync(full).isDirectory()) return;
    throw new OutputFileError(shown, "exists and is not a folder");
  } catch (e) {
    if (e instanceof OutputFileError) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new OutputFileError(shown, reasonOf(e));
  }
  const parent = dirname(full);
  if (parent !== full) makeDirs(parent, shown);
  try {
    mkdirSync(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new OutputFileError(shown, reasonOf(e));
    // EEXIST after ENOENT: a dangling symbolic link, or a race; only a folder will do.
    if (!statSafe(full)?.isDirectory()) throw new OutputFileError(shown, "exists and is not a folder");
  }
}

/** Writes `content` to `path` as the module comment says. */
export function writeOutput(path: string, content: string | Uint8Array): void {
  // Follow symbolic links one by one (so that a dangling chain ends at the file to create), as the
  // kernel would, giving up after 40 as it does.
  let target = path;
  for (let hops = 0; lstatSafe(target)?.isSymbolicLink(); hops++) {
    if (hops === 40) throw new OutputFileError(path, "too many levels of symbolic links");
    target = resolve(dirname(target), readlinkSync(target));
  }
  const st = statSafe(target);
  if (st && st.isDirectory()) throw new OutputFileError(path, "is a folder");
  if (st && !st.isFile()) {
    // A device, FIFO or socket: written in place.
    try {
      writeFileSync(target, content);
    } catch (e) {
      throw new OutputFileError(path, reasonOf(e));
    }
    return;
  }
  // A short hidden name beside the target: its own length never makes the path too long.
  const tmp = join(dirname(target), `.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    writeFileSync(tmp, content);
    if (st) chmodSync(tmp, st.mode & 0o7777);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new OutputFileError(path, reasonOf(e));
  }
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
