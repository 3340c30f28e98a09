/** Writing report files: each atomically, or through to a device (src/output-file.ts). */
import { dirname } from "node:path";
import { makeDirs, writeOutput } from "../output-file.js";

/** Writes `content` to `path` (its folder made if needed) so that readers never see a part of it. */
export function writeFileAtomic(path: string, content: string): void {
  makeDirs(dirname(path));
  writeOutput(path, content);
}
