/**
 * KFENCE's pool in the linear map after `kfence_init_pool()` (mm/kfence/core.c, the same in 6.1 and
 * 6.12): the pool is `(CONFIG_KFENCE_NUM_OBJECTS + 1) * 2` pages; the first two pages and the right
 * guard page of every object are protected (`kfence_protect()`: the PTE loses PTE_VALID and keeps
 * its other bits, so ptdump shows it with "F"). Object i lives in page 2 + 2i and stays valid until
 * it is freed (`kfence_guarded_free()` protects it again).
 */
import { SET_MEMORY } from "../descriptor.js";
import { memblockMarkNomap, memblockPhysAllocRange } from "../memmap/memblock.js";
import type { PageTableEngine } from "../types.js";
import type { BootState } from "./boot-state.js";

/**
 * arm64_kfence_alloc_pool() (6.1 and 6.12 mmu.c), the first allocation of map_mem(): with a
 * non-zero sample interval (kfence_early_init) the pool is memblock_phys_alloc()'d top-down and
 * marked NOMAP, so the bank loop skips it and it is mapped page by page afterwards. From 7.2
 * (arm64_kfence_map_pool()) it is mapped at once instead, and not marked (map-mem.ts).
 */
export function arm64KfenceAllocPool(s: BootState, sampleInterval: number): void {
  const { config } = s.input;
  if (sampleInterval === 0) return;
  const size = BigInt((config.kfenceNumObjects + 1) * 2) * s.g.pageSize; // KFENCE_POOL_SIZE
  const got = memblockPhysAllocRange(s.mb, size, s.g.pageSize, 0n, s.paLimit);
  if (!got) {
    s.notes.push("KFENCE: the early pool could not be allocated");
    return;
  }
  s.kfencePool = { base: got.base, size };
  s.mb = s.input.policy.kfencePoolMap === "first" ? got.memblock : memblockMarkNomap(got.memblock, got.base, size);
}

/** Page index, within the pool, of KFENCE object `i`. */
export function kfenceObjectPage(i: number): number {
  return 2 + 2 * i;
}

/** The pages `kfence_init_pool()` protects: 0, 1, then each object's right guard page. */
export function kfenceGuardPages(numObjects: number): number[] {
  const pages = [0, 1];
  for (let i = 0; i < numObjects; i++) pages.push(kfenceObjectPage(i) + 1);
  return pages;
}

/**
 * Applies `kfence_init_pool()`'s protection to the pool mapped at `va`; `invalid` is the release's
 * set_memory_valid(0) (nG set too from 7.1 and 6.18.24 on: invalidMasks()).
 */
export function kfenceInitPool(pt: PageTableEngine, va: bigint, numObjects: number, invalid: { set: bigint; clear: bigint } = SET_MEMORY.invalid): void {
  const page = pt.geometry.pageSize;
  for (const p of kfenceGuardPages(numObjects)) pt.setMemory(va + BigInt(p) * page, page, invalid.set, invalid.clear, "classic");
}

/** Protects object `i`'s page, as freeing it does. */
export function kfenceFreeObject(pt: PageTableEngine, poolVa: bigint, i: number, invalid: { set: bigint; clear: bigint } = SET_MEMORY.invalid): void {
  const page = pt.geometry.pageSize;
  pt.setMemory(poolVa + BigInt(kfenceObjectPage(i)) * page, page, invalid.set, invalid.clear, "classic");
}
