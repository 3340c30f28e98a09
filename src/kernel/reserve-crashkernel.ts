/**
 * reserve_crashkernel() as the boot calls it: early in arm64_memblock_init() (the carve-out
 * releases and kernels without DMA zones) or in bootmem_init() after the CMA area (deferred until
 * the DMA limit is known). The placement itself is crashkernel.ts's reserveCrashkernel().
 */
import { maxZonePhys } from "./zone-dma.js";
import type { BootState } from "./boot-state.js";
import { reserveCrashkernel } from "./crashkernel.js";
import { memblockReserve } from "../memmap/memblock.js";

/** Reserves the crashkernel the command line asks for, in `s.mb`. */
export function reserveCrashkernelStep(s: BootState): void {
  const req = s.crashRequest;
  if (!req) return;
  const { policy } = s.input;
  const strategy = s.input.crashStrategy ?? "kernel";
  // The v5.10 early reservation searched below ZONE_DMA32's 4 GiB; option (3) assumes 30 bits.
  const limit = strategy === "assume-1g-dma"
    ? maxZonePhys(30, s.startOfDram, s.endOfDram)
    : policy.crash === "carve-out" && strategy === "kernel" ? maxZonePhys(32, s.startOfDram, s.endOfDram) : s.dmaLimit;
  const at = s.input.crashkernelAt;
  if (at) {
    s.crashkernel = { base: at.base, size: at.size, low: undefined, log: ["placement taken from the memory map"] };
    s.mb = memblockReserve(s.mb, at.base, at.size);
    return;
  }
  const r = reserveCrashkernel(req, s.mb, limit, s.paLimit, policy.crashDefaults62 ? 128n << 20n : 0n, policy.crashDefaults62);
  s.crashkernel = r.reservation;
  s.mb = r.memblock;
}
