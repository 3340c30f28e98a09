/*
 * Native ceiling for the engine's two hot loops, 4K granule, 48-bit VA: building a linear map with
 * the kernel's per-level loops (alloc_init_pud -> alloc_init_cont_pmd -> init_pmd ->
 * alloc_init_cont_pte -> init_pte, as assembly/map.ts) and the hardware walk (assembly/walk.ts).
 * Tables come from a bump allocator over an anonymous mapping; a frame reused after a reset is
 * zeroed, a fresh one is not (the kernel's zeroed pages, the wasm engine's memory.grow).
 *
 * usage: pgtable_bench SIZE_BYTES ITERATIONS WALKS
 * prints one JSON object per line: {"task": ..., "perSecond": ...}
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define PMD_SIZE (1ULL << 21)
#define PUD_SIZE (1ULL << 30)
#define PGD_SIZE (1ULL << 39)
#define CONT_PTE_SIZE (16 * PAGE_SIZE)
#define CONT_PMD_SIZE (16 * PMD_SIZE)
#define NO_BLOCK 1
#define NO_CONT 2
#define NO_EXEC 4
#define PTE_CONT (1ULL << 52)
#define TABLE_UXN (1ULL << 60)
#define TABLE_PXN (1ULL << 59)
#define OA_MASK 0x0000fffffffff000ULL
#define FAULT_PA UINT64_MAX

static uint8_t *pool;
static uint64_t pool_bytes, frame_top, dirty_top, writes;
static int flags;

static inline uint64_t *frame_addr(uint64_t f) { return (uint64_t *)(pool + (f << PAGE_SHIFT)); }
static inline uint64_t addr_end(uint64_t addr, uint64_t end, uint64_t size) {
	uint64_t b = (addr + size) & ~(size - 1);
	return b - 1 < end - 1 ? b : end;
}
static inline unsigned idx(uint64_t va, int shift) { return (va >> shift) & 511; }

static uint64_t alloc_frame(void) {
	uint64_t f = frame_top++;
	if (f < dirty_top) memset(frame_addr(f), 0, PAGE_SIZE);
	else dirty_top = f + 1;
	return f;
}

static uint64_t *child(uint64_t *entry) {
	if (*entry == 0) {
		uint64_t f = alloc_frame();
		*entry = (f << PAGE_SHIFT) | 3 | TABLE_UXN | ((flags & NO_EXEC) ? TABLE_PXN : 0);
		writes++;
		return frame_addr(f);
	}
	return frame_addr((*entry & OA_MASK) >> PAGE_SHIFT);
}

static void init_pte(uint64_t *t, uint64_t addr, uint64_t end, uint64_t phys, uint64_t prot) {
	uint64_t *p = t + idx(addr, 12), *stop = p + ((end - addr) >> PAGE_SHIFT);
	uint64_t desc = (phys & OA_MASK) | prot;
	writes += stop - p;
	for (; p + 3 < stop; p += 4, desc += 4 * PAGE_SIZE) {
		p[0] = desc; p[1] = desc + PAGE_SIZE; p[2] = desc + 2 * PAGE_SIZE; p[3] = desc + 3 * PAGE_SIZE;
	}
	for (; p < stop; p++, desc += PAGE_SIZE) *p = desc;
}

static void cont_pte(uint64_t *t, uint64_t addr, uint64_t end, uint64_t phys, uint64_t prot) {
	do {
		uint64_t next = addr_end(addr, end, CONT_PTE_SIZE), pr = prot;
		if (((addr | next | phys) & (CONT_PTE_SIZE - 1)) == 0 && !(flags & NO_CONT)) pr |= PTE_CONT;
		init_pte(t, addr, next, phys, pr);
		phys += next - addr; addr = next;
	} while (addr != end);
}

static void init_pmd(uint64_t *t, uint64_t addr, uint64_t end, uint64_t phys, uint64_t prot) {
	do {
		uint64_t next = addr_end(addr, end, PMD_SIZE);
		uint64_t *e = t + idx(addr, 21);
		if (((addr | next | phys) & (PMD_SIZE - 1)) == 0 && !(flags & NO_BLOCK)) {
			*e = (phys & OA_MASK) | (prot & ~2ULL); writes++;
		} else {
			cont_pte(child(e), addr, next, phys, prot);
		}
		phys += next - addr; addr = next;
	} while (addr != end);
}

static void cont_pmd(uint64_t *t, uint64_t addr, uint64_t end, uint64_t phys, uint64_t prot) {
	do {
		uint64_t next = addr_end(addr, end, CONT_PMD_SIZE), pr = prot;
		if (((addr | next | phys) & (CONT_PMD_SIZE - 1)) == 0 && !(flags & NO_CONT)) pr |= PTE_CONT;
		init_pmd(t, addr, next, phys, pr);
		phys += next - addr; addr = next;
	} while (addr != end);
}

static void map_pud(uint64_t *t, uint64_t addr, uint64_t end, uint64_t phys, uint64_t prot) {
	do {
		uint64_t next = addr_end(addr, end, PUD_SIZE);
		uint64_t *e = t + idx(addr, 30);
		if (((addr | next | phys) & (PUD_SIZE - 1)) == 0 && !(flags & NO_BLOCK)) {
			*e = (phys & OA_MASK) | (prot & ~2ULL); writes++;
		} else {
			cont_pmd(child(e), addr, next, phys, prot);
		}
		phys += next - addr; addr = next;
	} while (addr != end);
}

static void map_range(uint64_t va, uint64_t pa, uint64_t size, uint64_t prot, int f) {
	uint64_t addr = va, end = va + size;
	flags = f;
	do {
		uint64_t next = addr_end(addr, end, PGD_SIZE);
		map_pud(child(frame_addr(0) + idx(addr, 39)), addr, next, pa, prot);
		pa += next - addr; addr = next;
	} while (addr != end);
}

static uint64_t walk(uint64_t va) {
	uint64_t *t = frame_addr(0);
	for (int shift = 39;; shift -= 9) {
		uint64_t d = t[idx(va, shift)];
		uint64_t off = (1ULL << shift) - 1;
		if (!(d & 1)) return FAULT_PA;
		if (shift == 12) return (d & 2) ? (d & OA_MASK) | (va & off) : FAULT_PA;
		if (!(d & 2)) return ((d & OA_MASK) & ~off) | (va & off);
		t = frame_addr((d & OA_MASK) >> PAGE_SHIFT);
	}
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fresh_pool(uint64_t bytes) {
	if (pool) munmap(pool, pool_bytes);
	pool_bytes = bytes;
	pool = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pool == MAP_FAILED) { perror("mmap"); exit(1); }
	frame_top = 1; dirty_top = 1; /* frame 0, the PGD, is fresh and zero */
}

static void reset_pool(void) {
	frame_top = 1;
	memset(frame_addr(0), 0, PAGE_SIZE);
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median of n timings */
static double median(double *t, int n) { qsort(t, n, sizeof *t, cmp); return t[n / 2]; }

int main(int argc, char **argv) {
	if (argc < 4) { fprintf(stderr, "usage: %s SIZE_BYTES ITERATIONS WALKS\n", argv[0]); return 2; }
	uint64_t size = strtoull(argv[1], 0, 0);
	int iters = atoi(argv[2]);
	uint64_t nwalks = strtoull(argv[3], 0, 0);
	const uint64_t va0 = 0xffff000000000000ULL, pa_page = 0x40000000ULL, pa_block = 0x40200000ULL;
	const uint64_t prot = 0x00e8000000000707ULL; /* pgprot_tagged(PAGE_KERNEL), v6.1 */
	const int page_flags = NO_BLOCK | NO_CONT | NO_EXEC;
	uint64_t bytes = (size / PAGE_SIZE / 512 + size / PMD_SIZE / 512 + 8) * PAGE_SIZE;
	double t[64], t0;
	if (iters > 64) iters = 64;

	for (int i = 0; i < iters; i++) { /* cold: a fresh mapping each time */
		fresh_pool(bytes); writes = 0; t0 = now();
		map_range(va0, pa_page, size, prot, page_flags);
		t[i] = now() - t0;
	}
	printf("{\"task\":\"build-page\",\"perSecond\":%.6e}\n", writes / median(t, iters));
	for (int i = 0; i < iters; i++) { /* warm: the same memory again */
		reset_pool(); writes = 0; t0 = now();
		map_range(va0, pa_page, size, prot, page_flags);
		t[i] = now() - t0;
	}
	printf("{\"task\":\"build-page-warm\",\"perSecond\":%.6e}\n", writes / median(t, iters));

	uint64_t *vas = malloc(nwalks * 8), sum = 0, x = 0x9e3779b97f4a7c15ULL;
	for (uint64_t i = 0; i < nwalks; i++) { /* xorshift64: uniform VAs in the map */
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		vas[i] = va0 + (x % size);
	}
	uint64_t *pas = malloc(nwalks * 8);
	for (int i = 0; i < iters; i++) {
		t0 = now();
		for (uint64_t j = 0; j < nwalks; j++) pas[j] = walk(vas[j]);
		t[i] = now() - t0;
		sum += pas[i % nwalks];
	}
	printf("{\"task\":\"walk\",\"perSecond\":%.6e,\"check\":%llu}\n", nwalks / median(t, iters), (unsigned long long)(sum & 1));

	for (int i = 0; i < iters; i++) {
		reset_pool(); writes = 0; t0 = now();
		map_range(va0, pa_block, size, prot, NO_EXEC);
		t[i] = now() - t0;
	}
	printf("{\"task\":\"build-block\",\"perSecond\":%.6e}\n", writes / median(t, iters));

	uint64_t fill = (size / PAGE_SIZE) * 8; /* the PTE bytes of the page-granular build */
	for (int i = 0; i < iters; i++) {
		fresh_pool(fill + PAGE_SIZE); t0 = now();
		memset(pool, 0x5a, fill);
		t[i] = now() - t0;
	}
	printf("{\"task\":\"fill\",\"perSecond\":%.6e}\n", fill / median(t, iters));
	return 0;
}
