/**
 * How the generic walker (`mm/pagewalk.c`, `mm/ptdump.c`) and arm64's note_page() name and number the
 * levels. The walker's level is 0 (pgd) … 4 (pte); the engine's is `d`, the distance from the leaf.
 */
import { PTE_NG, PTE_VALID } from "../descriptor.js";
import type { PtdumpFlavour } from "./flavour.js";

/** `PTE_PROT_NONE` (5.10, 6.1): bit 58, "present" when !PTE_VALID. */
const PTE_PROT_NONE = 1n << 58n;
/** `PMD_PRESENT_INVALID` (5.10, 6.1): bit 59, a PMD is "present" with it. */
const PMD_PRESENT_INVALID = 1n << 59n;

/** Bits that decide whether an upper-level entry is noted, in some flavour (not all in the ptdump mask). */
export const PRESENCE_BITS = PTE_VALID | PTE_NG | PTE_PROT_NONE | PMD_PRESENT_INVALID;

/**
 * `pg_level[].name` for walker levels 0..4. 5.10/6.1 (ptdump.c:188-210 / 180-202) fold the names with
 * CONFIG_PGTABLE_LEVELS; 6.12+ (`kernel_pg_levels[]`, ptdump.c:120-142) always say PUD and PMD.
 */
export function levelNames(flavour: PtdumpFlavour, levels: number): readonly string[] {
  if (flavour === "6.12" || flavour === "6.15") return ["PGD", "P4D", "PUD", "PMD", "PTE"];
  return ["PGD", "P4D", levels > 3 ? "PUD" : "PGD", levels > 2 ? "PMD" : "PGD", "PTE"];
}

/** The walker callback that sees an entry at distance `d`: pte 4, pmd 3, pud 2, p4d 1, pgd 0. */
function walkerIndex(levels: number, d: number): number {
  if (d <= 2) return 4 - d;
  return d === 3 && levels === 5 ? 1 : 0;
}

/**
 * The level note_page() is called with, before its own remapping. Every PTE is noted at 4. A leaf is
 * noted by its level's callback. A hole (empty entry) is noted with `real_depth()` of its walk level
 * (pagewalk.c:12-21): holes at the top real level are 0 whatever the folding.
 */
export function walkerLevel(levels: number, d: number, hole: boolean): number {
  if (d === 0) return 4;
  if (hole && d === levels - 1) return 0;
  return walkerIndex(levels, d);
}

/**
 * note_page()'s own renaming (6.12+, ptdump.c:199-202): level 1 when the P4D is folded (fewer than 5
 * levels) and level 2 when the PUD is folded (fewer than 4) become level 0.
 */
export function noteLevel(flavour: PtdumpFlavour, levels: number, level: number): number {
  if (flavour !== "6.12" && flavour !== "6.15") return level;
  if ((level === 1 && levels < 5) || (level === 2 && levels < 4)) return 0;
  return level;
}

/**
 * Whether the walker calls note_page() for a non-zero, non-table entry at distance `d >= 1`, i.e.
 * whether `pmd_leaf()`/`pud_leaf()` (`present && !table`) hold. Otherwise the entry is skipped and the
 * open line runs on over it.
 * - 5.10/6.1: `pte_present` = VALID | PROT_NONE(58); `pmd_present` adds PMD_PRESENT_INVALID(59).
 * - 6.12+: `pte_present` = VALID, or PTE_PRESENT_INVALID (= nG) without VALID; pmd the same.
 * At d >= 3 arm64 has no p4d_leaf/pgd_leaf: Linux never puts a leaf there, and the walker would
 * descend into one; such entries are treated as not noted.
 */
export function isNoted(flavour: PtdumpFlavour, d: number, desc: bigint): boolean {
  if (d === 0) return true;
  if (desc === 0n || d >= 3) return false;
  if (flavour === "6.12" || flavour === "6.15") return (desc & (PTE_VALID | PTE_NG)) !== 0n;
  let present = (desc & (PTE_VALID | PTE_PROT_NONE)) !== 0n;
  if (d === 1) present ||= (desc & PMD_PRESENT_INVALID) !== 0n;
  return present;
}
