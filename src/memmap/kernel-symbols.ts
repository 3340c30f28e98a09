/**
 * The kernel image's section bounds from a symbol table: System.map or /proc/kallsyms (as root;
 * both print `address type name` per line). Only the linker's bounds of vmlinux.lds.S are read, as
 * offsets from `_text`, so a KASLR'd /proc/kallsyms gives the same answer as System.map.
 */
import { MemoryMapError } from "./errors.js";

/** The offsets from `_text` that the linear map depends on. */
export interface KernelImageLayout {
  stext: bigint;
  initBegin: bigint;
  /** `__init_end` (the start of the data/bss alias 7.2+ remaps). */
  initEnd: bigint;
  /** `__bss_stop` (its end: the image's own page tables after it stay mapped). */
  bssStop: bigint;
  end: bigint;
}

const WANTED = ["_text", "_stext", "__init_begin", "__init_end", "__bss_stop", "_end"] as const;

/** Reads the layout; throws a MemoryMapError naming `source` and the line or the missing symbol. */
export function parseKernelSymbols(text: string, source = "<kernel symbols>"): KernelImageLayout {
  const at = new Map<string, bigint>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const m = /^([0-9a-fA-F]{8,16})\s+(\S)\s+(\S+)(?:\s+\[\S+\])?\s*$/.exec(line);
    if (!m) throw new MemoryMapError(source, i + 1, `"${line.slice(0, 60)}" is not "address type name"`);
    if ((WANTED as readonly string[]).includes(m[3]) && !at.has(m[3])) at.set(m[3], BigInt(`0x${m[1]}`));
  });
  const missing = WANTED.filter((n) => !at.has(n));
  if (missing.length > 0) throw new MemoryMapError(source, 0, `no ${missing.join(", ")} (a System.map or /proc/kallsyms read as root is needed)`);
  const text0 = at.get("_text")!;
  if (text0 === 0n) throw new MemoryMapError(source, 0, "_text is 0: /proc/kallsyms must be read as root");
  const off = (n: (typeof WANTED)[number]) => at.get(n)! - text0;
  const layout = { stext: off("_stext"), initBegin: off("__init_begin"), initEnd: off("__init_end"), bssStop: off("__bss_stop"), end: off("_end") };
  const order: Array<[string, bigint]> = [["_text", 0n], ["_stext", layout.stext], ["__init_begin", layout.initBegin], ["__init_end", layout.initEnd], ["__bss_stop", layout.bssStop], ["_end", layout.end]];
  for (let i = 1; i < order.length; i++) {
    if (order[i][1] < order[i - 1][1]) throw new MemoryMapError(source, 0, `${order[i][0]} is below ${order[i - 1][0]}`);
  }
  return layout;
}
