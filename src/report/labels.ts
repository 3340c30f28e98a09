/**
 * Names of leaf sizes, derived from the geometry (never from 4K pages' 1G/2M/4K): 4K pages have
 * 1G PUD blocks, 2M PMD blocks, 4K pages, 32M CONT PMD and 64K CONT PTE groups; 16K pages 32M PMD
 * blocks, 1G CONT PMD, 16K pages, 2M CONT PTE; 64K pages 512M PMD blocks, 16G CONT PMD, 64K
 * pages, 2M CONT PTE. PUD blocks exist only where Linux writes them (4K pages).
 */
import { type Geometry, entrySize, linuxBlockLevel } from "../geometry.js";
import { formatSize } from "../units.js";
import type { LinearMapSummary } from "./summary.js";

/** The size names of one geometry. */
export interface LeafLabels {
  /** A PUD block, or undefined when Linux writes none with this geometry. */
  pud: string | undefined;
  pmd: string;
  pte: string;
  /** A whole CONT group of PMD blocks and of pages. */
  contPmd: string;
  contPte: string;
}

/** The leaf size names of `g`. */
export function leafLabels(g: Geometry): LeafLabels {
  const pmd = entrySize(g, 1);
  const pte = entrySize(g, 0);
  return {
    pud: linuxBlockLevel(g, 2) && g.levels > 2 ? formatSize(entrySize(g, 2)) : undefined,
    pmd: formatSize(pmd),
    pte: formatSize(pte),
    contPmd: formatSize(pmd * BigInt(g.contEntries[1])),
    contPte: formatSize(pte * BigInt(g.contEntries[0])),
  };
}

/** "7 x 1G, 510 x 2M (496 in 32M CONT groups), 1024 x 4K (432 in 64K CONT groups)". */
export function leavesText(s: LinearMapSummary, g: Geometry): string {
  const l = leafLabels(g);
  const cont = (n: number, group: string) => (n > 0 ? ` (${n} in ${group} CONT groups)` : "");
  return [
    ...(l.pud !== undefined ? [`${s.leaves.pudBlocks} x ${l.pud}`] : []),
    `${s.leaves.pmdBlocks} x ${l.pmd}${cont(s.leaves.pmdCont, l.contPmd)}`,
    `${s.leaves.ptes} x ${l.pte}${cont(s.leaves.pteCont, l.contPte)}`,
  ].join(", ");
}
