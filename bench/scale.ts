/**
 * `node dist/bench/scale.js [TiB] [walks]`: builds a page-granular linear map of TiB tebibytes
 * (default 64) with the wasm engine, one bank at PA 0 mapped at PAGE_OFFSET (4K pages, 48-bit VA),
 * then walks uniformly random VAs in it with walkMany (default 1M) and checks every PA. Prints the
 * build time, the kernel-equivalent table bytes beside the simulator's, the walk rate and the
 * process's peak RSS. Run it under `/usr/bin/time -v` for the whole process's figures.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const tib = BigInt(process.argv[2] ?? "64");
const walks = Number(process.argv[3] ?? "1000000");
const size = tib << 40n;
const GB = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

const pt = new WasmPageTable();
let t = performance.now();
const r = pt.map(PAGE_OFFSET, 0n, size, pageKernel({ tagged: true }), NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
const buildMs = performance.now() - t;
const u = pt.memoryUsage();
console.log(`build ${tib} TiB page-granular: ${buildMs.toFixed(0)} ms, ${r.framesAllocated} tables, ${r.descriptorsWritten} descriptors`);
console.log(`kernel tables ${GB(u.tableBytes)}; simulator ${GB(u.simulatorBytes)} (${u.realTables} real tables, ${u.implicitTables} implicit); wasm memory ${GB(u.wasmMemoryBytes)}`);

// xorshift64: uniform VAs in the map.
const vas = new BigUint64Array(walks);
let x = 0x9e3779b97f4a7c15n;
for (let i = 0; i < walks; i++) {
  x ^= BigInt.asUintN(64, x << 13n);
  x ^= x >> 7n;
  x ^= BigInt.asUintN(64, x << 17n);
  vas[i] = PAGE_OFFSET + (x % size);
}
const out = { pa: new BigUint64Array(walks), level: new Int8Array(walks) };
const rates: number[] = [];
for (let k = 0; k < 5; k++) {
  t = performance.now();
  pt.walkMany(vas, out);
  rates.push(walks / ((performance.now() - t) / 1000));
}
for (let i = 0; i < walks; i++) {
  if (out.pa[i] !== vas[i] - PAGE_OFFSET || out.level[i] !== 3) throw new Error(`walk ${i}: va ${vas[i].toString(16)} -> ${out.pa[i].toString(16)}`);
}
rates.sort((a, b) => a - b);
console.log(`walkMany of ${walks} random VAs: median ${(rates[2] / 1e6).toFixed(1)} M walks/s (best ${(rates[4] / 1e6).toFixed(1)}), all PAs checked`);
console.log(`peak RSS ${GB(process.resourceUsage().maxRSS * 1024)}`);
