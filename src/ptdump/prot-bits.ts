/**
 * `pte_bits[]` of each flavour: which string ptdump prints for each field of a descriptor, and the
 * mask ptdump_initialize() ORs from them (what note_page() compares).
 */
import {
  PTE_AF,
  PTE_ATTRINDX_MASK,
  PTE_CONT,
  PTE_GP,
  PTE_NG,
  PTE_PXN,
  PTE_RDONLY,
  PTE_SHARED,
  PTE_TABLE_BIT,
  PTE_USER,
  PTE_UXN,
  PTE_VALID,
} from "../descriptor.js";
import type { PtdumpFlavour } from "./flavour.js";

/** One `struct prot_bits`: `(prot & mask) == val` prints `set`, else `clear`; undefined prints nothing. */
export interface ProtBit {
  readonly mask: bigint;
  readonly val: bigint;
  readonly set?: string;
  readonly clear?: string;
}

/** `PMD_TYPE_MASK`, bits [1:0]. */
const PMD_TYPE_MASK = 3n;
/** `PMD_TYPE_SECT`. */
const PMD_TYPE_SECT = 1n;

const attr = (mt: bigint, set: string): ProtBit => ({ mask: PTE_ATTRINDX_MASK, val: mt << 2n, set });

/** Rows 1-8 (VALID … CONT): the same in every flavour. */
const HEAD: readonly ProtBit[] = [
  { mask: PTE_VALID, val: PTE_VALID, set: " ", clear: "F" },
  { mask: PTE_USER, val: PTE_USER, set: "USR", clear: "   " },
  { mask: PTE_RDONLY, val: PTE_RDONLY, set: "ro", clear: "RW" },
  { mask: PTE_PXN, val: PTE_PXN, set: "NX", clear: "x " },
  { mask: PTE_SHARED, val: PTE_SHARED, set: "SHD", clear: "   " },
  { mask: PTE_AF, val: PTE_AF, set: "AF", clear: "  " },
  { mask: PTE_NG, val: PTE_NG, set: "NG", clear: "  " },
  { mask: PTE_CONT, val: PTE_CONT, set: "CON", clear: "   " },
];

/** Row 9 up to 6.12: BLK when the table bit (bit 1) is clear. */
const BLK_TABLE_BIT: ProtBit = { mask: PTE_TABLE_BIT, val: PTE_TABLE_BIT, set: "   ", clear: "BLK" };
/** Row 9 since 6.15: BLK only for the block type 0b01. */
const BLK_TYPE_SECT: ProtBit = { mask: PMD_TYPE_MASK, val: PMD_TYPE_SECT, set: "BLK", clear: "   " };

/** Rows 10-11 (UXN, GP): the same in every flavour. */
const MID: readonly ProtBit[] = [
  { mask: PTE_UXN, val: PTE_UXN, set: "UXN", clear: "   " },
  { mask: PTE_GP, val: PTE_GP, set: "GP", clear: "  " },
];

/** 5.10 memory types (`memory.h:134-140`): WT at 3 has no row, devices at 4-6, GRE has a row. */
const MEM_510: readonly ProtBit[] = [
  attr(4n, "DEVICE/nGnRnE"),
  attr(5n, "DEVICE/nGnRE"),
  attr(6n, "DEVICE/GRE"),
  attr(2n, "MEM/NORMAL-NC"),
  attr(0n, "MEM/NORMAL"),
  attr(1n, "MEM/NORMAL-TAGGED"),
];

/** 6.1+ memory types (`memory.h:140-144`): devices at 3-4, no GRE. */
const MEM_61: readonly ProtBit[] = [
  attr(3n, "DEVICE/nGnRnE"),
  attr(4n, "DEVICE/nGnRE"),
  attr(2n, "MEM/NORMAL-NC"),
  attr(0n, "MEM/NORMAL"),
  attr(1n, "MEM/NORMAL-TAGGED"),
];

const TABLES: Record<PtdumpFlavour, readonly ProtBit[]> = {
  "5.10": [...HEAD, BLK_TABLE_BIT, ...MID, ...MEM_510],
  "6.1": [...HEAD, BLK_TABLE_BIT, ...MID, ...MEM_61],
  "6.12": [...HEAD, BLK_TABLE_BIT, ...MID, ...MEM_61],
  "6.15": [...HEAD, BLK_TYPE_SECT, ...MID, ...MEM_61],
};

/** The flavour's `pte_bits[]`, in print order. */
export function protBits(flavour: PtdumpFlavour): readonly ProtBit[] {
  return TABLES[flavour];
}

/** OR of every `pte_bits[]` mask (`ptdump_initialize`): 0x0074000000000FDF in every flavour. */
export function ptdumpMask(flavour: PtdumpFlavour): bigint {
  return TABLES[flavour].reduce((m, b) => m | b.mask, 0n);
}

/** `dump_prot()`: the strings printed for a masked prot, in order, each to be printed as " %s". */
export function protStrings(flavour: PtdumpFlavour, prot: bigint): string[] {
  const out: string[] = [];
  for (const b of TABLES[flavour]) {
    const s = (prot & b.mask) === b.val ? b.set : b.clear;
    if (s !== undefined) out.push(s);
  }
  return out;
}
