/**
 * bootmem_init() (arch/arm64/mm/init.c), after map_mem(): of what it reserves, what can move a
 * later reservation or the linear map: dma_contiguous_reserve() (the CMA area, below the DMA limit)
 * and then a deferred reserve_crashkernel(). Not placed: NUMA node data and sparse_init()'s struct
 * pages, which boot takes from the top of memory before CMA (see docs/kernel-models.md).
 */
import { memblockPhysAllocRange } from "../memmap/memblock.js";
import type { BootState } from "./boot-state.js";
import { reserveCrashkernelStep } from "./reserve-crashkernel.js";

/** cma=SIZE as memparse() reads it. */
function parseCmaSize(v: string): bigint {
  const m = /^(\d+)([KMG]?)$/i.exec(v)!;
  const unit = { "": 0n, K: 10n, M: 20n, G: 30n }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
  return BigInt(m[1]) << unit;
}

/** dma_contiguous_reserve(arm64_dma_phys_limit): the CMA area, top-down below the DMA limit. */
export function dmaContiguousReserve(s: BootState): void {
  const { config, cmdline } = s.input;
  if (!config.dmaCma) return;
  const size = cmdline.cma !== undefined ? parseCmaSize(cmdline.cma) : BigInt(config.cmaSizeMbytes) << 20n;
  if (size === 0n) return;
  // CMA_MIN_ALIGNMENT_BYTES: PAGE_SIZE << (MAX_ORDER - 1) = 4 MiB with 4K pages.
  const got = memblockPhysAllocRange(s.mb, size, s.g.pageSize << 10n, 0n, s.dmaLimit);
  if (got) {
    s.cma = { base: got.base, size };
    s.mb = got.memblock;
  }
}

/** bootmem_init(): CMA, then the crashkernel when its reservation was deferred. */
export function bootmemInit(s: BootState): void {
  dmaContiguousReserve(s);
  if (s.crashRequest && !s.crashEarly) reserveCrashkernelStep(s);
}
