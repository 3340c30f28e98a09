/**
 * Kernel ptdump flavours: the versions of `arch/arm64/mm/ptdump.c` (and of the walker and page-table
 * predicates it relies on) whose `kernel_page_tables` output differs. Each is named by the first
 * release whose source was checked to have it (Debian 5.10.223, 6.1.192, 6.12.117; 6.15 is the BLK
 * change, commit f5e93819e2cc). Which release has which flavour is a rule of src/kernel/rules.ts.
 *
 * - "5.10": `ptdump_walk()` leaves `st.level` at 0 (no `.level = -1`), so the "Linear Mapping start"
 *   marker is never printed and the first line starts at address 0; MT_* indices are 0 NORMAL,
 *   1 TAGGED, 2 NC, 3 WT, 4 nGnRnE, 5 nGnRE, 6 GRE, with a "DEVICE/GRE" row; PAGE_END uses vabits_actual.
 * - "6.1": the reference layout (level names fold to "PGD" with fewer levels).
 * - "6.12": level names are always PUD/PMD, folded levels are renamed level 0 in note_page(), and an
 *   invalid entry with nG set is "present" (PTE_PRESENT_INVALID), so an invalid block is printed.
 * - "6.15": as 6.12, but the BLK column tests `PMD_TYPE_MASK == PMD_TYPE_SECT`.
 */

import { type KernelRelease, compare, readRelease } from "../kernel/release.js";
import { ruleValue } from "../kernel/rules.js";

/** A kernel ptdump flavour, named by the first release that has it. */
export type PtdumpFlavour = "5.10" | "6.1" | "6.12" | "6.15";

/** Every flavour, oldest first. */
export const PTDUMP_FLAVOURS: readonly PtdumpFlavour[] = ["5.10", "6.1", "6.12", "6.15"];

/**
 * The flavour of a kernel release ("6.1.192", "v6.18-rc3", "6.12.117+deb13-arm64", "6.1.0-56-arm64",
 * "7.0"), as the rules table (src/kernel/rules.ts, field ptdumpFlavour) gives it: the newest flavour
 * whose first release is not after it. Releases between checked versions (5.11-6.0, 6.2-6.11) get the
 * older neighbour, releases after the newest modelled line the newest flavour; throws a RangeError
 * for text that is not a release or is older than 5.10.
 */
export function flavourForRelease(release: string | KernelRelease): PtdumpFlavour {
  const r = typeof release === "string" ? readRelease(release) : release;
  if (compare(r, [5, 10]) < 0) throw new RangeError(`${r.text}: releases before 5.10 are not modelled`);
  return ruleValue(r, "ptdumpFlavour");
}
