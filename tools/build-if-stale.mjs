#!/usr/bin/env node
// `npm start`'s prestart: rebuilds the wasm or the TypeScript only when one of its sources is newer
// than its output. `npm install` builds once (prepare); rebuilding on every start cost about 11 s.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const PARTS = [
  { output: "build/pgtable.wasm", sources: ["assembly", "asconfig.json"], script: "build:wasm" },
  { output: "dist/src/cli/main.js", sources: ["src", "bench", "tsconfig.json"], script: "build:ts" },
];

/** The newest modification time under a file or folder (ms). */
function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), 0);
}

for (const { output, sources, script } of PARTS) {
  const built = existsSync(output) ? statSync(output).mtimeMs : -Infinity;
  const changed = Math.max(...sources.filter(existsSync).map(newest));
  if (changed > built) execSync(`npm run --silent ${script}`, { stdio: "inherit" });
}
