/**
 * Where dma_contiguous_reserve() puts the CMA area: top-down below the DMA limit, aligned as the
 * release aligns it. Hand-derived on a first bank that ends 2 MiB below a 4 MiB boundary (0x7fe00000)
 * and a second one above 4 GiB, which takes the page tables and struct pages boot allocates first; 64 MiB:
 * 6.1+ aligns to pageblock_nr_pages (one PMD, 2 MiB with 4K pages): 0x7fe00000 - 64 MiB = 0x7be00000;
 * 5.10 aligns to PAGE_SIZE << max(MAX_ORDER - 1, pageblock_order) = 4 MiB: down to 0x7bc00000.
 * With 16K pages both are one PMD, 32 MiB: 0x7fe00000 - 64 MiB rounded down = 0x7a000000.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/kernel/config.js";
import { parseMemoryMap } from "../src/memmap/index.js";
import { runScenario } from "../src/scenario.js";

const memmap = parseMemoryMap("40000000-7fdfffff : System RAM\n100000000-13fffffff : System RAM\n", { source: "cma.iomem", format: "iomem" });
const cma = (kernel: string, granule: 4 | 16) =>
  runScenario({ memmap, kernel, cmdline: "rodata=off", config: { ...DEFAULT_CONFIG, granule, vaBits: granule === 16 ? 47 : 48, dmaCma: true, cmaSizeMbytes: 64, kfence: false } }).boot.cma;

describe("the CMA area's alignment", () => {
  it.each([
    ["6.12.117", 4, 0x7be0_0000n],
    ["6.1.192", 4, 0x7be0_0000n],
    ["5.10.223", 4, 0x7bc0_0000n],
    ["6.12.117", 16, 0x7a00_0000n],
    ["5.10.223", 16, 0x7a00_0000n],
  ] as const)("%s, %iK pages: at %s", (kernel, granule, base) => {
    expect(cma(kernel, granule)).toEqual({ base, size: 64n << 20n });
  });
});
