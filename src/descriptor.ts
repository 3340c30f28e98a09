/**
 * Stage-1 descriptor bits, as `arch/arm64/include/asm/pgtable-hwdef.h` names them.
 * Values are bigint: descriptors are 64-bit. The hot paths never use these (they live in wasm).
 */

/** Bit 0: the entry is valid. */
export const PTE_VALID = 1n << 0n;
/** Bit 1: at levels above the leaf 1 = table, 0 = block; at the leaf 1 = page. */
export const PTE_TABLE_BIT = 1n << 1n;
/** Bits [1:0] of a page descriptor (`PTE_TYPE_PAGE`). */
export const PTE_TYPE_PAGE = 3n;
/** Bits [1:0] of a table descriptor (`PMD_TYPE_TABLE`). */
export const PMD_TYPE_TABLE = 3n;
/** Bits [1:0] of a block descriptor (`PMD_TYPE_SECT`). */
export const PMD_TYPE_SECT = 1n;
/** Bits [4:2]: index into MAIR (the memory type). */
export const PTE_ATTRINDX_MASK = 7n << 2n;
/** AP[1]: accessible at EL0. */
export const PTE_USER = 1n << 6n;
/** AP[2]: read-only. */
export const PTE_RDONLY = 1n << 7n;
/** SH[1:0] = 0b11, inner shareable (absent with LPA2, where bits 9:8 hold OA[51:50]). */
export const PTE_SHARED = 3n << 8n;
/** Access flag. */
export const PTE_AF = 1n << 10n;
/** Not global: tagged with the ASID (set on every kernel entry under KPTI). */
export const PTE_NG = 1n << 11n;
/** BTI guarded page. */
export const PTE_GP = 1n << 50n;
/** Dirty bit modifier; the kernel's PTE_WRITE. */
export const PTE_DBM = 1n << 51n;
/** The kernel's name for DBM. */
export const PTE_WRITE = PTE_DBM;
/** Software dirty bit (`PTE_DIRTY`); `_PAGE_KERNEL` carries it in v6.1. */
export const PTE_DIRTY = 1n << 55n;
/** Contiguous hint. */
export const PTE_CONT = 1n << 52n;
/** Privileged execute-never. */
export const PTE_PXN = 1n << 53n;
/** Unprivileged execute-never. */
export const PTE_UXN = 1n << 54n;
/** Table descriptor: AF (v6.18 sets it on kernel tables; ignored without FEAT_HAFT). */
export const PMD_TABLE_AF = 1n << 10n;
/** Table descriptor: PXNTable. */
export const PMD_TABLE_PXN = 1n << 59n;
/** Table descriptor: UXNTable. */
export const PMD_TABLE_UXN = 1n << 60n;
/** Table descriptor: APTable[1:0]. */
export const PMD_TABLE_AP = 3n << 61n;
/** The hierarchical attribute bits of a table descriptor (59-62). */
export const TABLE_ATTR_MASK = PMD_TABLE_PXN | PMD_TABLE_UXN | PMD_TABLE_AP;

/** Memory type MT_NORMAL: its MAIR index since v5.10 (normal write-back memory). */
export const MT_NORMAL = 0n;
/** Memory type MT_NORMAL_TAGGED (MTE-tagged normal memory): its MAIR index. */
export const MT_NORMAL_TAGGED = 1n;
/** Memory type MT_NORMAL_NC (normal non-cacheable): its MAIR index. */
export const MT_NORMAL_NC = 2n;
/** Memory type MT_DEVICE_nGnRnE (strongly ordered device memory): its MAIR index. */
export const MT_DEVICE_nGnRnE = 3n;
/** Memory type MT_DEVICE_nGnRE (device memory, early write acknowledgement): its MAIR index. */
export const MT_DEVICE_nGnRE = 4n;

/** AttrIndx field for a memory type. */
export function attrIndx(mt: bigint): bigint {
  return (mt << 2n) & PTE_ATTRINDX_MASK;
}

/** `PROT_DEFAULT` without SH: what every kernel mapping starts from. */
const PROT_DEFAULT_NO_SH = PTE_TYPE_PAGE | PTE_AF;

/** Options of pageKernel and pageKernelRO. */
export interface KernelProtOptions {
  /** AttrIndx MT_NORMAL_TAGGED (the linear map's `pgprot_tagged(PAGE_KERNEL)`). */
  tagged?: boolean;
  /** nG, as under KPTI (`PTE_MAYBE_NG`). */
  nG?: boolean;
  /** SH inner shareable (default true; false with LPA2, `PTE_MAYBE_SHARED`). */
  shared?: boolean;
  /** PTE_DIRTY, bit 55 (default true: `_PAGE_KERNEL = PROT_NORMAL | PTE_DIRTY` in v6.1). */
  dirty?: boolean;
}

/**
 * The kernel's `PAGE_KERNEL` (v6.1 `pgtable-prot.h`): `_PAGE_KERNEL = PROT_NORMAL | PTE_DIRTY`,
 * `PROT_NORMAL = PROT_DEFAULT | PXN | UXN | WRITE | AttrIndx(NORMAL)`,
 * `PROT_DEFAULT = PTE_TYPE_PAGE | AF | SHARED | MAYBE_NG`.
 */
export function pageKernel(opts: KernelProtOptions = {}): bigint {
  const shared = opts.shared ?? true;
  let prot = PROT_DEFAULT_NO_SH | PTE_PXN | PTE_UXN | PTE_WRITE;
  if (opts.dirty ?? true) prot |= PTE_DIRTY;
  if (shared) prot |= PTE_SHARED;
  if (opts.nG) prot |= PTE_NG;
  prot |= attrIndx(opts.tagged ? MT_NORMAL_TAGGED : MT_NORMAL);
  return prot;
}

/** `PAGE_KERNEL_RO`: PAGE_KERNEL without WRITE, with RDONLY. */
export function pageKernelRO(opts: KernelProtOptions = {}): bigint {
  return (pageKernel(opts) & ~PTE_WRITE) | PTE_RDONLY;
}

/** Map flag, the kernel's value (`arch/arm64/mm/mmu.c`): no block descriptors, pages only. */
export const NO_BLOCK_MAPPINGS = 1 << 0;
/** Map flag, the kernel's value: no contiguous hint (PTE_CONT) on any entry. */
export const NO_CONT_MAPPINGS = 1 << 1;
/** Map flag, the kernel's value: new table descriptors carry PXNTable. */
export const NO_EXEC_MAPPINGS = 1 << 2;
/** Every map flag the engine knows. */
export const MAP_FLAGS_MASK = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS | NO_EXEC_MAPPINGS;

/** Set and clear masks of the kernel's `set_memory_*` helpers (`arch/arm64/mm/pageattr.c`). */
export const SET_MEMORY = {
  ro: { set: PTE_RDONLY, clear: PTE_WRITE },
  rw: { set: PTE_WRITE, clear: PTE_RDONLY },
  nx: { set: PTE_PXN, clear: PTE_GP },
  x: { set: 0n, clear: PTE_PXN },
  invalid: { set: 0n, clear: PTE_VALID },
  /** 7.1+ (6.18.24+): PTE_PRESENT_INVALID (the nG bit) set as PTE_VALID is cleared (PTE_MAYBE_NG cleared too). */
  invalidNg: { set: PTE_NG, clear: PTE_VALID },
  valid: { set: PTE_VALID, clear: 0n },
} as const;
