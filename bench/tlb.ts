/**
 * The run-time model's speed: simulated accesses per second, wasm against the TypeScript reference,
 * on the yardstick: uniformly random accesses over a 64 GiB page-granular linear map with
 * the Neoverse N1 preset. Both models walk the same tables (built by the wasm engine) and draw the
 * same stream; their counts are compared, so a fast wrong answer cannot pass as a result.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { ReferenceTlb } from "../src/reference/tlb.js";
import { corePreset } from "../src/tlb/cores.js";
import { ReferenceWorkload, layOut, parseWorkload } from "../src/tlb/workload.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const VA0 = 0xffff_0000_0000_0000n;
const PA0 = 0x8000_0000n;

/** One measured model. */
export interface TlbRate {
  impl: "wasm" | "reference";
  accesses: number;
  perSecond: number;
}

/** Measures both models on `size` bytes page by page; `accesses` for wasm, a tenth (at most 200k) for the reference. */
export function measureTlb(size: bigint, accesses: number): { rates: TlbRate[]; agree: boolean } {
  const pt = new WasmPageTable();
  pt.map(VA0, PA0, size, pageKernel(), NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
  const config = corePreset("neoverse-n1").config;
  const layout = layOut(parseWorkload("uniform"), [{ va: VA0, length: size }], 1n);

  const wasm = pt.runTimeModel();
  // A short run first, so that the engine's code is optimized before it is timed.
  wasm.configure(config, 1n);
  wasm.setWorkload(layout);
  wasm.runWorkload(Math.min(wasm.batchSize(), accesses));
  wasm.configure(config, 1n);
  wasm.setWorkload(layout);
  const batch = wasm.batchSize();
  let t0 = performance.now();
  for (let done = 0; done < accesses; done += batch) wasm.runWorkload(Math.min(batch, accesses - done));
  const wasmRate = accesses / ((performance.now() - t0) / 1000);

  const refAccesses = Math.min(200_000, Math.max(10_000, Math.floor(accesses / 10)));
  const ref = new ReferenceTlb(pt);
  ref.configure(config, 1n);
  const gen = new ReferenceWorkload(layout);
  const vas = new BigUint64Array(4096);
  t0 = performance.now();
  for (let done = 0; done < refAccesses; done += vas.length) {
    const n = Math.min(vas.length, refAccesses - done);
    for (let i = 0; i < n; i++) vas[i] = gen.next();
    ref.run(vas.subarray(0, n));
  }
  const refRate = refAccesses / ((performance.now() - t0) / 1000);

  // The same prefix through wasm, for the comparison of counts.
  wasm.configure(config, 1n);
  wasm.setWorkload(layout);
  for (let done = 0; done < refAccesses; done += batch) wasm.runWorkload(Math.min(batch, refAccesses - done));
  const agree = JSON.stringify(wasm.counts()) === JSON.stringify(ref.counts());
  pt.dispose();
  return {
    rates: [
      { impl: "wasm", accesses, perSecond: wasmRate },
      { impl: "reference", accesses: refAccesses, perSecond: refRate },
    ],
    agree,
  };
}
