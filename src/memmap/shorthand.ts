/**
 * The sweep shorthand: `SIZE@BASE` banks separated by commas, as the kernel's `mem=`/`memmap=`
 * parameters write them: `12G@0x40000000`, `2G@0x80000000,30G@0x880000000`. SIZE and BASE are
 * `0x…` hexadecimal, decimal, or a number with a K/M/G/T/P suffix. Banks need not be sorted.
 */
import { parseSize } from "../units.js";
import type { MemoryMap } from "./model.js";
import { type ParseContext, emptyDraft, entry, fail, finish } from "./validate.js";

/** Parses `SIZE@BASE[,SIZE@BASE…]` (one line) into a memory map. */
export function parseShorthand(text: string, ctx: ParseContext): MemoryMap {
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.trim() !== "") + 1;
  if (line === 0) fail(ctx, 0, "empty shorthand (example: 12G@0x40000000)");
  if (lines.slice(line).some((l) => l.trim() !== "")) fail(ctx, line + 1, "the shorthand is one line: separate banks with commas");
  const d = emptyDraft();
  lines[line - 1].split(",").forEach((raw, i) => {
    const bank = raw.trim();
    const m = /^([^@\s]+)@([^@\s]+)$/.exec(bank);
    if (!m) fail(ctx, line, `bank ${i + 1} ${JSON.stringify(bank)} is not SIZE@BASE (example: 12G@0x40000000)`);
    let size: bigint;
    let base: bigint;
    try {
      size = parseSize(m[1]);
    } catch {
      return fail(ctx, line, `bank ${i + 1}: "${m[1]}" is not a size (examples: 12G, 512M, 0x40000000)`);
    }
    try {
      base = parseSize(m[2]);
    } catch {
      return fail(ctx, line, `bank ${i + 1}: "${m[2]}" is not an address (examples: 0x40000000, 1G)`);
    }
    d.memory.push(entry(ctx, line, `bank ${i + 1}`, base, size));
  });
  return finish(ctx, d, "error");
}
