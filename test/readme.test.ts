/** The README's library example runs as written (its import pointed at this checkout's build). */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

describe("README", () => {
  it("the library example runs, and its comments say what it returns", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /```ts\n(import \{ WasmPageTable[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const code = `${block!.replace('from "arm64-pgtable"', `from ${JSON.stringify(join(ROOT, "dist", "src", "index.js"))}`)}
const w = pt.walk(base + 0x1234_5000n);
console.log(JSON.stringify({ pa: w.pa.toString(16), level: w.level, mpki: r.metrics.mpki.map((m) => m.name), hole: pt.walk(base + (8n << 30n)).fault }));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ pa: "52345000", level: 3, mpki: ["L1D", "L2"], hole: "translation" });
  });
});
