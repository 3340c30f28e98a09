/**
 * bootmem_init() (arch/arm64/mm/init.c), after map_mem(): of what it reserves, what can move a
 * later reservation or the linear map: dma_contiguous_reserve() (the CMA area, below the DMA limit)
 * and then a deferred reserve_crashkernel(); before 7.0 sparse_init()'s memmap first (sparse-init.ts).
 */
import { entrySize } from "../geometry.js";
import { memblockPhysAllocRange } from "../memmap/memblock.js";
import type { BootState } from "./boot-state.js";
import { reserveCrashkernelStep } from "./reserve-crashkernel.js";
import { sparseInit } from "./sparse-init.js";

/** cma=SIZE as memparse() reads it. */
function parseCmaSize(v: string): bigint {
  const m = /^(\d+)([KMG]?)$/i.exec(v)!;
  const unit = { "": 0n, K: 10n, M: 20n, G: 30n }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
  return BigInt(m[1]) << unit;
}

/**
 * The CMA area's alignment. pageblock_order is the PMD order with HUGETLB_PAGE (arm64 defconfig,
 * Debian), which the model assumes: one PMD (2 MiB, 32 MiB, 512 MiB). v5.10 takes the larger of that
 * and MAX_ORDER - 1 (10, 11, 13 by arm64's defaults): 4 MiB with 4K pages, one PMD otherwise.
 */
export function cmaAlignment(s: BootState): bigint {
  const pmd = entrySize(s.g, 1);
  if (s.input.policy.cmaAlign === "pageblock") return pmd;
  const maxOrder = s.g.granule === 4 ? 10n : s.g.granule === 16 ? 11n : 13n;
  const byOrder = s.g.pageSize << maxOrder;
  return byOrder > pmd ? byOrder : pmd;
}

/** dma_contiguous_reserve(arm64_dma_phys_limit): the CMA area, top-down below the DMA limit. */
export function dmaContiguousReserve(s: BootState): void {
  const { config, cmdline } = s.input;
  if (!config.dmaCma) return;
  const size = cmdline.cma !== undefined ? parseCmaSize(cmdline.cma) : BigInt(config.cmaSizeMbytes) << 20n;
  if (size === 0n) return;
  const got = memblockPhysAllocRange(s.mb, size, cmaAlignment(s), 0n, s.dmaLimit);
  if (got) {
    s.cma = { base: got.base, size };
    s.mb = got.memblock;
  }
}

/** bootmem_init(): sparse_init() (before 7.0), CMA, then the crashkernel when its reservation was deferred. */
export function bootmemInit(s: BootState): void {
  const { policy } = s.input;
  if (policy.sparseBeforeCma) sparseInit(s, policy.sectionSizeBits === "30" ? 30 : s.g.granule === 64 ? 29 : 27);
  dmaContiguousReserve(s);
  if (s.crashRequest && !s.crashEarly) reserveCrashkernelStep(s);
}
