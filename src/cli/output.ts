/** Writing a command's output: to stdout, or to the file -o names (src/output-file.ts's rules). */
import { OutputFileError, writeOutput } from "../output-file.js";

/** Writes `text` to `file` or to stdout; a file that cannot be written is an error naming `-o FILE`. */
export function emit(text: string, file?: string): void {
  if (file === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeOutput(file, text);
  } catch (e) {
    if (e instanceof OutputFileError) throw new OutputFileError(file, e.reason, "-o");
    throw e;
  }
}

/** Prints each note on stderr as one line, `note: …`. */
export function printNotes(notes: readonly string[]): void {
  for (const n of notes) process.stderr.write(`note: ${n.replace(/\s*\n\s*/g, " ")}\n`);
}
