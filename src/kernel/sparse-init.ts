/**
 * The early allocations that land at the top of memory between map_mem() and the CMA area, as
 * memblock allocates them top-down: the linear map's own page tables (early_pgtable_alloc(), one
 * page each) and, before 7.0, sparse_init()'s memmap (mm/sparse.c). They decide where CMA and a
 * deferred crashkernel go when RAM ends below the DMA limit. Per NUMA node where the banks name
 * their node (a boot log's node ranges), else one node; each node's pglist_data first. The small
 * allocations (usemaps, vmemmap tables, the unflattened device tree) are not placed: alignment's
 * slack usually takes them.
 */
import { entrySize } from "../geometry.js";
import { memblockFindInRange, memblockPhysAllocRange, memblockReserve } from "../memmap/memblock.js";
import type { BootState } from "./boot-state.js";

/** `struct page` on arm64 (64 bytes). */
const STRUCT_PAGE = 64n;
/**
 * sizeof(pg_data_t), which depends on the build: 14144 bytes in Debian's 6.12 arm64 kernel (its boot
 * log: "NODE_DATA(0) allocated [mem 0x13fffc8c0-0x13fffffff]"); the model takes that for every build.
 */
const PGLIST_DATA = 14144n;

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
  const pmd = entrySize(s.g, 1);
  const page = s.g.pageSize;
  const sectionBytes = 1n << BigInt(sectionSizeBits);
  const pagesPerSection = sectionBytes / page;
  const mapSize = ((pagesPerSection * STRUCT_PAGE + pmd - 1n) / pmd) * pmd; // section_map_size()
  // memblocks_present(): the sections that hold memory (NOMAP included), as runs of section numbers
  // (a 64 TiB map has half a million sections: they are counted by runs, never one by one).
  const spanOf = (base: bigint, size: bigint): Run => [base / sectionBytes, (base + size + sectionBytes - 1n) / sectionBytes];
  const present = mergeRuns(s.mb.memory.filter((r) => r.size > 0n).map((r) => spanOf(r.base, r.size)));
  if (present.length === 0) return;
  // A section's node is the first bank's (in the map's order) that overlaps it, else node 0.
  const banks = s.input.memory.memory;
  const cuts = [...new Set([...present.flat(), ...banks.flatMap((b) => spanOf(b.base, b.size))])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byNode = new Map<number, Run[]>();
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    if (!present.some(([x, y]) => x <= a && b <= y)) continue;
    const nid = banks.find((bk) => {
      const [x, y] = spanOf(bk.base, bk.size);
      return x <= a && b <= y;
    })?.nid ?? 0;
    byNode.set(nid, mergeRuns([...(byNode.get(nid) ?? []), [a, b]]));
  }
  const nids = [...byNode.keys()].sort((a, b) => a - b);
  const nodeSpan = (nid: number): [bigint, bigint] => {
    const inNode = banks.filter((b) => (b.nid ?? 0) === nid);
    if (nids.length < 2 || inNode.length === 0) return [s.startOfDram, s.paLimit];
    const lo = inNode.reduce((m, b) => (b.base < m ? b.base : m), inNode[0].base);
    const hi = inNode.reduce((m, b) => (b.base + b.size > m ? b.base + b.size : m), 0n);
    return [lo < s.startOfDram ? s.startOfDram : lo, hi];
  };
  // arch_numa_init() before it: each node's pglist_data at the node's top (NODE_DATA(nid)).
  for (const nid of nids) {
    const [lo, hi] = nodeSpan(nid);
    const got = memblockPhysAllocRange(s.mb, PGLIST_DATA, 64n, lo, hi);
    if (got) s.mb = got.memblock;
  }
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
  const rootsInUse = runLength(mergeRuns(present.map(([a, b]): Run => [a / perRoot, (b - 1n) / perRoot + 1n])));
  for (let i = 0n; i < rootsInUse; i++) {
    const got = memblockPhysAllocRange(s.mb, page, 64n, 0n, s.paLimit);
    if (got) s.mb = got.memblock;
  }
  // sparse_init_nid() per node, in node order: the buffer for the node's sections, inside the node.
  for (const nid of nids) {
    const [lo, hi] = nodeSpan(nid);
    sparseInitNid(s, byNode.get(nid) ?? [], nid, mapSize, pagesPerSection, pmd, lo, hi);
  }
}

/** A run of section (or block) numbers, [first, end). */
type Run = [bigint, bigint];

/** Runs sorted and merged where they touch or overlap. */
function mergeRuns(runs: Run[]): Run[] {
  const sorted = runs.filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Run[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

/** How many numbers merged runs hold. */
function runLength(runs: Run[]): bigint {
  return runs.reduce((n, [a, b]) => n + (b - a), 0n);
}

/** sparse_init_nid(): one node's memmap buffer, top-down in [lo, hi), and what vmemmap_populate() keeps of it. */
function sparseInitNid(s: BootState, sections: Run[], nid: number, mapSize: bigint, pagesPerSection: bigint, pmd: bigint, lo: bigint, hi: bigint): void {
  const page = s.g.pageSize;
  const count = runLength(sections);
  let used: bigint;
  if (s.g.granule === 4) {
    // The PMD blocks of struct pages the sections need: a run of sections needs a run of blocks.
    const bytes = pagesPerSection * STRUCT_PAGE;
    used = runLength(mergeRuns(sections.map(([a, b]): Run => [(a * bytes) / pmd, (b * bytes - 1n) / pmd + 1n]))) * pmd;
  } else {
    used = count * (((pagesPerSection * STRUCT_PAGE + page - 1n) / page) * page);
  }
  const size = count * mapSize;
  const node = nid === 0 && lo === s.startOfDram ? "" : ` (node ${nid})`;
  const base = memblockFindInRange(s.mb, size, mapSize, lo, hi);
  if (base !== undefined) {
    s.mb = memblockReserve(s.mb, base, used);
    s.steps.push({ what: `sparse_init()${node}: memmap buffer for ${count} sections, ${used >> 10n} KiB of struct pages kept`, range: { base, size: used } });
    return;
  }
  const got = memblockPhysAllocRange(s.mb, used, page, lo, hi);
  if (got) {
    s.mb = got.memblock;
    s.steps.push({ what: `sparse_init()${node}: no room for the memmap buffer; ${used >> 10n} KiB of struct pages page by page`, range: { base: got.base, size: used } });
  }
}
