/**
 * The early allocations that land at the top of memory between map_mem() and the CMA area, as
 * memblock allocates them top-down: the linear map's own page tables (early_pgtable_alloc(), one
 * page each) and, before 7.0, sparse_init()'s memmap (mm/sparse.c). They decide where CMA and a
 * deferred crashkernel go when RAM ends below the DMA limit. One node (NUMA layouts are not an
 * input); the small allocations (mem_section, usemaps, node data, vmemmap tables) are not placed:
 * they fit in the slack that alignment leaves.
 */
import { memblockFindInRange, memblockPhysAllocRange, memblockReserve } from "../memmap/memblock.js";
import type { BootState } from "./boot-state.js";

/** `struct page` on arm64 (64 bytes). */
const STRUCT_PAGE = 64n;

/** early_pgtable_alloc(): the tables map_mem() took, page by page, top-down. */
export function reservePgtables(s: BootState, frames: number): void {
  if (frames <= 0) return;
  const size = BigInt(frames) * s.g.pageSize;
  const got = memblockPhysAllocRange(s.mb, size, s.g.pageSize, 0n, s.paLimit);
  if (got) {
    s.mb = got.memblock;
    s.steps.push({ what: `early_pgtable_alloc(): ${frames} page-table pages, memblock top-down`, range: { base: got.base, size } });
  }
}

/**
 * sparse_init() with SPARSEMEM_VMEMMAP: the root array and a page per root in use, then one buffer of
 * map_count * section_map_size() (a section's struct pages rounded up to a PMD) aligned to
 * section_map_size(), top-down. vmemmap_populate() takes from its start one PMD block per PMD of
 * struct pages with 4K pages, single pages otherwise (vmemmap_populate_basepages()), and
 * sparse_buffer_fini() frees the rest. A buffer that does not fit (64K pages: 512 MiB per section)
 * leaves vmemmap_alloc_block() to take the pages one by one, top-down.
 */
export function sparseInit(s: BootState, sectionSizeBits: number): void {
  const pmd = s.g.pageSize << BigInt(s.g.pageShift - 3);
  const page = s.g.pageSize;
  const sectionBytes = 1n << BigInt(sectionSizeBits);
  const pagesPerSection = sectionBytes / page;
  const mapSize = ((pagesPerSection * STRUCT_PAGE + pmd - 1n) / pmd) * pmd; // section_map_size()
  // memblocks_present(): the sections that hold memory (NOMAP included).
  const sections = new Set<bigint>();
  for (const r of s.mb.memory) {
    for (let sec = r.base / sectionBytes; sec * sectionBytes < r.base + r.size; sec++) sections.add(sec);
  }
  if (sections.size === 0) return;
  // memblocks_present(): SPARSEMEM_EXTREME's root array, one pointer per SECTIONS_PER_ROOT sections
  // of the whole MAX_PHYSMEM_BITS space (2 MiB with 52-bit PA, 4K pages and PAGE_EXTENSION).
  // MAX_PHYSMEM_BITS is PHYS_MASK_SHIFT: a 52-bit PA build with 4K or 16K pages (ARM64_LPA2) has
  // 52 only with LPA2 enabled at run time, else 48 (asm/pgtable-prot.h, 6.12 and 7.3).
  const { config } = s.input;
  const physmemBits = config.paBits === 52 && s.g.granule !== 64 && !s.g.lpa2 ? 48 : config.paBits;
  const sectionStruct = config.pageExtension ? 32n : 16n;
  const perRoot = page / sectionStruct;
  const roots = ((1n << BigInt(physmemBits - sectionSizeBits)) + perRoot - 1n) / perRoot;
  const rootArray = memblockPhysAllocRange(s.mb, roots * 8n, 64n, 0n, s.paLimit);
  if (rootArray) s.mb = rootArray.memblock;
  // sparse_index_alloc(): a page of struct mem_section for each root that holds a present section.
  for (const _ of new Set([...sections].map((sec) => sec / perRoot))) {
    const got = memblockPhysAllocRange(s.mb, page, 64n, 0n, s.paLimit);
    if (got) s.mb = got.memblock;
  }
  // What vmemmap_populate() keeps of the buffer.
  let used: bigint;
  if (s.g.granule === 4) {
    const blocks = new Set<bigint>();
    for (const sec of sections) {
      const first = (sec * pagesPerSection * STRUCT_PAGE) / pmd;
      const last = ((sec + 1n) * pagesPerSection * STRUCT_PAGE - 1n) / pmd;
      for (let b = first; b <= last; b++) blocks.add(b);
    }
    used = BigInt(blocks.size) * pmd;
  } else {
    used = BigInt(sections.size) * (((pagesPerSection * STRUCT_PAGE + page - 1n) / page) * page);
  }
  const size = BigInt(sections.size) * mapSize;
  const base = memblockFindInRange(s.mb, size, mapSize, s.startOfDram, s.paLimit);
  if (base !== undefined) {
    s.mb = memblockReserve(s.mb, base, used);
    s.steps.push({ what: `sparse_init(): memmap buffer for ${sections.size} sections, ${used >> 10n} KiB of struct pages kept`, range: { base, size: used } });
    return;
  }
  const got = memblockPhysAllocRange(s.mb, used, page, s.startOfDram, s.paLimit);
  if (got) {
    s.mb = got.memblock;
    s.steps.push({ what: `sparse_init(): no room for the memmap buffer; ${used >> 10n} KiB of struct pages page by page`, range: { base: got.base, size: used } });
  }
}
