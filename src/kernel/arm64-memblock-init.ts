/**
 * setup_arch() up to paging_init(): the firmware's memory into memblock (efi_init() or the DT scan:
 * memblock_add(), NOMAP marks, /reserved-memory), then arm64_memblock_init() (arch/arm64/mm/init.c):
 * memory the linear region cannot reach is removed, memstart_addr chosen (and moved by KASLR), the
 * kernel image reserved, and, where the release reserves it this early, the crashkernel.
 */
import { InvalidArgumentError } from "../errors.js";
import { arm64MemblockInit, arm64MemstartAlign } from "../memmap/linear.js";
import { EMPTY_MEMBLOCK, memblockAdd, memblockEndOfDRAM, memblockMarkNomap, memblockReserve, memblockStartOfDRAM } from "../memmap/memblock.js";
import type { BootState } from "./boot-state.js";
import { reserveCrashkernelStep } from "./reserve-crashkernel.js";
import { maxZonePhys } from "./zone-dma.js";

/** Builds memblock and memstart_addr on `s` (whose `mb` is empty on entry). */
export function arm64MemblockInitStep(s: BootState): void {
  const { memory } = s.input;
  // efi_init() / early_init_dt_scan_memory(): memblock_add() of every bank. NUMA nodes are assigned
  // later (arm64_numa_init() in bootmem_init()), so touching banks of two nodes merge here.
  let mb = EMPTY_MEMBLOCK;
  for (const b of memory.memory) mb = memblockAdd(mb, b.base, b.size);
  for (const n of memory.nomap) mb = memblockMarkNomap(mb, n.base, n.size);
  const trimmed = arm64MemblockInit(mb, { granule: s.g.granule, vaBits: s.g.vaBits, paBits: s.g.paBits, kernelEnd: memory.kernel.end });
  for (const r of trimmed.removed) s.notes.push(`memory 0x${r.base.toString(16)}-0x${(r.base + r.size - 1n).toString(16)} is out of the linear map's reach and removed (arm64_memblock_init)`);
  mb = trimmed.memblock;
  // KASLR: memstart_addr -= ARM64_MEMSTART_ALIGN * ((range * memstart_offset_seed) >> 16).
  const kaslr = s.input.kaslrOffset;
  const align = arm64MemstartAlign(s.g.granule);
  if (kaslr !== undefined && (kaslr < 0n || kaslr % align !== 0n)) {
    throw new InvalidArgumentError("kaslrOffset", `0x${kaslr.toString(16)} is not a multiple of ARM64_MEMSTART_ALIGN (0x${align.toString(16)})`);
  }
  // 6.16+: KASLR no longer moves the linear map (it still forces KPTI on a CPU without E0PD).
  const moved = s.input.policy.linearKaslr ? (kaslr ?? 0n) : 0n;
  if (kaslr !== undefined && kaslr !== 0n && !s.input.policy.linearKaslr) {
    s.notes.push(`KASLR offset 0x${kaslr.toString(16)}: ${s.input.policy.line} does not randomise the linear map (KASLR moves the kernel image only): ignored`);
  }
  s.memstart = trimmed.memstartAddr - moved;
  s.startOfDram = memblockStartOfDRAM(mb);
  s.endOfDram = memblockEndOfDRAM(mb);
  if (moved !== 0n && s.endOfDram - s.memstart > trimmed.linearRegionSize) {
    throw new InvalidArgumentError("kaslrOffset", `0x${moved.toString(16)} puts the end of memory beyond the linear map`);
  }
  // arm64_dma_phys_limit (zone_sizes_init() computes it; the carve-out releases knew it here).
  const { config } = s.input;
  s.dmaLimit = config.zoneDma || config.zoneDma32
    ? maxZonePhys(config.zoneDma ? Math.min(32, memory.zoneDmaBits) : 32, s.startOfDram, s.endOfDram)
    : s.paLimit;
  // memblock_reserve(__pa_symbol(_text), _end - _text); early_init_fdt_scan_reserved_mem().
  mb = memblockReserve(mb, memory.kernel.text, memory.kernel.end - memory.kernel.text);
  for (const r of memory.reserved) mb = memblockReserve(mb, r.base, r.size);
  s.mb = mb;
  // reserve_crashkernel() here when the release does not defer it (no DMA zones, or v5.10.21-).
  if (s.crashRequest && s.crashEarly) reserveCrashkernelStep(s);
}
