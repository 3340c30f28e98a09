/**
 * `walk` and `walkMany`: the hardware's stage-1 translation table walk (Arm ARM D8, VMSAv8-64) over
 * the reference tables.
 */
import { PTE_VALID, TABLE_ATTR_MASK } from "../descriptor.js";
import { decodeOA, entrySize, hwBlockLevel } from "../geometry.js";
import { FAULT_PA, type WalkManyResult, type WalkResult } from "../types.js";
import { PGD_FRAME, type RefState, VA_LIMIT, childFrame, entryIndex, hw, topLevel } from "./tables.js";

/** One walk from the PGD: a leaf gives the PA, an invalid or misplaced entry a translation fault. */
export function hardwareWalk(s: RefState, va: bigint): WalkResult {
  const g = s.g;
  const top = topLevel(g);
  if (va < g.ttbr1Base || va >= VA_LIMIT) {
    return { va, pa: undefined, level: hw(top), descriptor: 0n, tableAttrs: 0n, path: [], fault: "range" };
  }
  const path: bigint[] = [];
  let tableAttrs = 0n;
  let frame = PGD_FRAME;
  for (let d = top; ; d--) {
    const desc = s.pool.table(frame)[entryIndex(g, va, d)];
    path.push(desc);
    const fault = (): WalkResult => ({ va, pa: undefined, level: hw(d), descriptor: desc, tableAttrs, path, fault: "translation" });
    if ((desc & PTE_VALID) === 0n) return fault();
    const isLeaf = d === 0 ? (desc & 3n) === 3n : (desc & 3n) === 1n;
    if (isLeaf) {
      if (d > 0 && !hwBlockLevel(g, d)) return fault();
      const size = entrySize(g, d);
      const pa = (decodeOA(g, desc) & ~(size - 1n)) | (va & (size - 1n));
      return { va, pa, level: hw(d), descriptor: desc, tableAttrs, path, fault: undefined };
    }
    if (d === 0) return fault(); // 0b01 at the last level is reserved: a translation fault
    tableAttrs |= desc & TABLE_ATTR_MASK;
    frame = childFrame(g, desc);
  }
}

/** Many walks: each VA's PA (FAULT_PA on a fault) and hardware level. */
export function walkMany(s: RefState, vas: BigUint64Array, out: WalkManyResult): WalkManyResult {
  const { pa, level } = out;
  for (let k = 0; k < vas.length; k++) {
    const r = hardwareWalk(s, vas[k]);
    pa[k] = r.pa ?? FAULT_PA;
    level[k] = r.level;
  }
  return out;
}
