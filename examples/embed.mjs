// Embedding the engine in a Node app: build a 16 GiB linear map with blocks and page by page,
// compare their table memory and TLB behaviour, and walk an address. Run it from a checkout after
// `npm install` (`node examples/embed.mjs`), or in an app that depends on arm64-pgtable with the
// import below changed to "arm64-pgtable".
import {
  NO_BLOCK_MAPPINGS,
  NO_CONT_MAPPINGS,
  WasmPageTable,
  corePreset,
  pageKernel,
  runTlb,
} from "../dist/src/index.js";

const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const RAM = 16n << 30n;
const linear = { start: PAGE_OFFSET, end: PAGE_OFFSET + RAM };

const results = {};
for (const [name, flags] of [["blocks", 0], ["pages", NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS]]) {
  const pt = new WasmPageTable({ granule: 4, vaBits: 48 });
  pt.map(PAGE_OFFSET, 0x4000_0000n, RAM, pageKernel({ tagged: true }), flags);
  const walk = pt.walk(PAGE_OFFSET + 0x1234_5678n);
  const tlb = runTlb(pt, linear, { config: corePreset("neoverse-n1").config, workload: "zipf:1.1", accesses: 200_000 });
  results[name] = {
    tableBytes: pt.stats().tableBytes,
    pa: `0x${walk.pa.toString(16)}`,
    level: walk.level,
    l1Mpki: Number(tlb.metrics.mpki[0].value.toFixed(1)),
    walksPerKilo: Number(tlb.metrics.walksPerKilo.toFixed(1)),
  };
  pt.dispose();
}
console.log(JSON.stringify(results, null, 2));
