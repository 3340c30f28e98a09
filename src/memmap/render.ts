/**
 * Memory maps written back as text, the way Linux prints them: `/proc/iomem` and the boot log's
 * "Early memory node ranges" list the memblock regions of the map (`memblockFromMap`), so banks that
 * touch with the same node and flags come out merged; the shorthand lists the banks as given.
 */
import { formatSize } from "../units.js";
import { memblockFromMap } from "./memblock.js";
import { type MemoryMap, type PhysRange, rangeEnd } from "./model.js";

function hexPad(v: bigint, width: number): string {
  return v.toString(16).padStart(width, "0");
}

/** `/proc/iomem` text of a map: regions at the top ("System RAM" or, for NOMAP, "reserved"), then nested entries. */
export function renderIomem(map: MemoryMap): string {
  const nested: { r: PhysRange; name: string }[] = [
    ...[...map.reserved, ...(map.lateReserved ?? [])].map((r) => ({ r, name: "reserved" })),
    ...(map.kernel ? [{ r: map.kernel, name: "Kernel code" }] : []),
    ...(map.kernelData ? [{ r: map.kernelData, name: "Kernel data" }] : []),
    ...(map.crashkernelLow ? [{ r: map.crashkernelLow, name: "Crash kernel" }] : []),
    ...(map.crashkernel ? [{ r: map.crashkernel, name: "Crash kernel" }] : []),
  ].sort((a, b) => (a.r.base < b.r.base ? -1 : a.r.base > b.r.base ? 1 : 0));
  const line = (r: PhysRange, name: string, depth: number) =>
    `${"  ".repeat(depth)}${hexPad(r.base, 8)}-${hexPad(rangeEnd(r) - 1n, 8)} : ${name}\n`;
  let out = "";
  for (const reg of memblockFromMap(map).memory) {
    out += line(reg, reg.nomap ? "reserved" : "System RAM", 0);
    if (reg.nomap) continue;
    for (const n of nested) if (n.r.base >= reg.base && rangeEnd(n.r) <= rangeEnd(reg)) out += line(n.r, n.name, 1);
  }
  return out;
}

/** The boot log's "Early memory node ranges" of a map, as 6.1 `free_area_init()` prints it (node 0 when none is known). */
export function renderBootlog(map: MemoryMap): string {
  const hex18 = (v: bigint) => `0x${hexPad(v, 16)}`;
  let out = "[    0.000000] Early memory node ranges\n";
  for (const r of memblockFromMap(map).memory) {
    out += `[    0.000000]   node ${String(r.nid ?? 0).padStart(3)}: [mem ${hex18(r.base)}-${hex18(rangeEnd(r) - 1n)}]\n`;
  }
  return out;
}

/** The shorthand of a map's banks: `2G@0x80000000,30G@0x880000000`. */
export function renderShorthand(map: MemoryMap): string {
  return map.memory.map((b) => `${formatSize(b.size)}@0x${b.base.toString(16)}`).join(",");
}
