/**
 * What map_mem() (arch/arm64/mm/mmu.c) of a release does: the per-version rules the boot model
 * follows, evaluated from the one table of rules in src/kernel/rules.ts (each rule with its upstream
 * commit; `rulesFor()` says which rule decided each field).
 */
import type { KernelRelease } from "./release.js";
import { type RuleValues, ruleValues } from "./rules.js";

export type { CrashPolicy, KfencePolicy } from "./rules.js";

/**
 * The rules of one release: every field of the rules table but the ptdump format (which
 * src/ptdump/flavour.ts reads), with the release, its line and where the rules were read.
 */
export interface KernelPolicy extends Omit<RuleValues, "ptdumpFlavour"> {
  release: KernelRelease;
  /** The line whose rules these are, e.g. "6.1". */
  line: string;
  /** Where the rules were read. */
  evidence: string;
}

/** The releases whose source was read in full. */
const READ: Array<[number, number, number, string]> = [
  [5, 10, 223, "Debian linux-source-5.10"],
  [6, 1, 192, "Debian linux-source-6.1"],
  [6, 12, 117, "Debian linux-source-6.12"],
  [7, 3, 4, "Debian linux-source-7.3"],
];

/**
 * The rules of `release`. A bare line (6.1) stands for its latest stable release. Stable lines took
 * backports that mainline releases of the same number lack, so a rule can depend on the patch level
 * (6.1.65, 6.12.117, …); see src/kernel/rules.ts and docs/kernel-models.md.
 */
export function policyFor(r: KernelRelease): KernelPolicy {
  const v = ruleValues(r);
  const read = READ.find(([ma, mi, pa]) => r.major === ma && r.minor === mi && (r.patch === undefined || r.patch === pa));
  let evidence = read
    ? `source: ${read[3]} (${read[0]}.${read[1]}.${read[2]})${r.patch === undefined ? ", the line's latest stable" : ""}`
    : "extrapolated from the sources read and the commits of src/kernel/rules.ts";
  if (r.note) evidence += `; ${r.note}`;
  const { ptdumpFlavour: _, ...values } = v;
  return { ...values, release: r, line: `${r.major}.${r.minor}`, evidence };
}
