/** The text `summary` prints (and `host` after its diff): the release's rules, the boot's decisions, the costs. */
import type { Scenario } from "../scenario.js";
import { leavesText } from "./labels.js";
import type { LinearMapSummary } from "./summary.js";

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** memstart_addr as the kernel's s64 holds it: KASLR can make it negative. */
function signedHex(v: bigint): string {
  return v < 0n ? `-${hex(-v)}` : hex(v);
}

/** One line each: the release and its rules, memstart_addr and the bank flags with their reasons, reservations, the costs. */
export function summaryLines(kernel: string, sc: Scenario, s: LinearMapSummary): string[] {
  const b = sc.boot;
  const low = b.crashkernel?.low;
  return [
    `kernel ${kernel} (rules of the ${sc.policy.line} line; ${sc.policy.evidence})`,
    `memstart_addr ${signedHex(b.memstart)}; bank flags: ${b.flags & 1 ? "NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS" : "blocks and CONT allowed"}`,
    ...b.reasons.map((r) => `  page-granular because: ${r}`),
    ...(b.crashkernel ? b.crashkernel.log.map((l) => `  ${l}`) : []),
    ...(low ? [`  crashkernel low memory reserved: ${hex(low.base)} - ${hex(low.base + low.size)} (${low.size >> 20n} MB)`] : []),
    ...(b.kfencePool ? [`  KFENCE pool at ${hex(b.kfencePool.base)} (${b.kfencePool.size >> 10n} KiB)`] : []),
    ...(b.failure ? [`  after boot: ${b.failure.message}`] : []),
    `tables: ${s.tables.p4d !== undefined ? `${s.tables.p4d} P4D, ` : ""}${s.tables.pud} PUD, ${s.tables.pmd} PMD, ${s.tables.pte} PTE = ${s.tableBytes} bytes`,
    `leaves: ${leavesText(s, b.geometry)}`,
    `mapped: ${s.mappedBytes} bytes`,
  ];
}
