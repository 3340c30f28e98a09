/** Running the built CLI as a user does, for the tests: its exit code, stdout and stderr. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The repository's root. */
export const ROOT = join(import.meta.dirname, "..");
/** The built CLI (npm test builds it first). */
export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

/** Runs `arm64-pgtable ARGS…` and waits for it (at most a minute). */
export function runCli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
