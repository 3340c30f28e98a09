/** Writing a command's output: to stdout, or to a file atomically (a temp file, then rename). */
import { renameSync, rmSync, writeFileSync } from "node:fs";

/** Writes `text` to `file` (atomically) or to stdout. */
export function emit(text: string, file?: string): void {
  if (file === undefined) {
    process.stdout.write(text);
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Prints each note on stderr as one line, `note: …`. */
export function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`note: ${n.replace(/\s*\n\s*/g, " ")}\n`);
}
