/**
 * Rebuilds the Linear Mapping section of a real dump (test/fixtures/ptdump/guest-1g-rodata-full-kpti.txt:
 * a 1 GiB QEMU guest, 4K pages, 48-bit VAs, rodata=full, KPTI) by driving the engine through the calls
 * the kernel makes at boot, and checks the formatted text byte for byte.
 *
 * The dump, line by line (VA = PAGE_OFFSET + (PA - 0x40000000), PHYS_OFFSET = 0x40000000):
 *  1. 0x0000000-0x0200000  2M PTE RW … MEM/NORMAL-TAGGED: RAM below the kernel image, a memblock
 *     mapped by map_mem() with pgprot_tagged(PAGE_KERNEL). rodata=full makes can_set_direct_map()
 *     true, so the flags are NO_EXEC | NO_BLOCK | NO_CONT: pages, no CON.
 *  2. 0x0200000-0x2200000 32M PMD ro … BLK MEM/NORMAL: the linear alias of [_stext, __init_begin)
 *     (PA 0x40200000, the image's 2M offset). map_mem() marked it NOMAP so the memblock loop skipped
 *     it, then mapped it with plain PAGE_KERNEL (AttrIndx 0: MEM/NORMAL, not tagged) and only
 *     NO_CONT_MAPPINGS: its 16 PMD slots were empty, so it got 2M blocks despite rodata=full.
 *     mark_linear_text_alias_ro() later re-ran the mapping (update_mapping_prot) with PAGE_KERNEL_RO,
 *     NO_CONT: the same blocks with RDONLY set and WRITE(DBM) cleared, which pgattr_change_is_safe()
 *     allows on live entries. DBM and DIRTY are outside ptdump's mask, so they do not show.
 *  3. 0x2200000-0x22c0000 768K PTE ro … MEM/NORMAL: the alias's unaligned tail (__init_begin at
 *     PA 0x422c0000) is not a whole PMD, so pages, in the PTE table the next memblock already made.
 *  4. 0x22c0000-0x3a00000 23808K PTE RW … MEM/NORMAL-TAGGED: RAM after the image (init, data, bss
 *     and free memory), the second memblock, mapped like line 1.
 *  5. 0x3a00000-0x3c00000 2M PTE ro … MEM/NORMAL-TAGGED: a read-only island. With rodata=full,
 *     set_memory_ro() on a vmalloc area also makes the linear alias of each backing page read-only
 *     (change_memory_common → __change_memory_common on page_address()); here 512 contiguous pages
 *     (the same dump's vmalloc area has a 2M "ro x" region). set_memory_ro = set RDONLY, clear WRITE.
 *  6. 0x3c00000-0x40000000 964M PTE RW …: the rest of RAM, as line 4.
 *  7. 0x40000000-0x8000000000 511G PUD: the other 511 slots of the PUD table under PGD slot 0 (holes,
 *     noted at depth 2: "PUD" with 4 levels).
 *  8. 0x8000000000-0xffff800000000000 130560G PGD: PGD slots 1..255 are empty (holes at depth 0; the
 *     folded P4D never shows), up to PAGE_END, where the end marker is printed.
 * Every line has NG: KPTI (arm64_use_ng_mappings) puts nG in PROT_DEFAULT, so in every prot here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  NO_BLOCK_MAPPINGS,
  NO_CONT_MAPPINGS,
  NO_EXEC_MAPPINGS,
  SET_MEMORY,
  pageKernel,
  pageKernelRO,
} from "../src/descriptor.js";
import { formatLinearMap } from "../src/ptdump/index.js";
import type { PageTableEngine } from "../src/types.js";
import { ENGINES } from "./engines.js";

const FIXTURE = new URL("./fixtures/ptdump/guest-1g-rodata-full-kpti.txt", import.meta.url);

/** The Linear Mapping section of the fixture, markers included, each line with its "\n". */
function linearSection(text: string): string {
  const lines = text.split("\n");
  const from = lines.indexOf("---[ Linear Mapping start ]---");
  const to = lines.indexOf("---[ Linear Mapping end ]---");
  return lines
    .slice(from, to + 1)
    .map((l) => `${l}\n`)
    .join("");
}

const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const PHYS_OFFSET = 0x4000_0000n;
const RAM_END = 0x8000_0000n; // 1 GiB
const KERNEL_START = 0x4020_0000n; // _stext
const KERNEL_END = 0x422c_0000n; // __init_begin
const RO_ISLAND = 0x4000_0000n + 0x3a0_0000n; // PA of the 2M read-only island
const va = (pa: bigint): bigint => PAGE_OFFSET + (pa - PHYS_OFFSET);

/** map_mem(), mark_linear_text_alias_ro() and a set_memory_ro(), as the guest's kernel did them. */
function bootGuest(pt: PageTableEngine): void {
  const kpti = { nG: true };
  const rodataFull = NO_EXEC_MAPPINGS | NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
  const linear = pageKernel({ ...kpti, tagged: true }); // pgprot_tagged(PAGE_KERNEL)
  // map_mem(): the memblocks around the NOMAP kernel image, in address order.
  pt.map(va(PHYS_OFFSET), PHYS_OFFSET, KERNEL_START - PHYS_OFFSET, linear, rodataFull);
  pt.map(va(KERNEL_END), KERNEL_END, RAM_END - KERNEL_END, linear, rodataFull);
  // map_mem(): the kernel alias, PAGE_KERNEL, NO_CONT_MAPPINGS only (blocks allowed).
  const alias = [va(KERNEL_START), KERNEL_START, KERNEL_END - KERNEL_START] as const;
  pt.map(...alias, pageKernel(kpti), NO_CONT_MAPPINGS);
  // mark_linear_text_alias_ro(): update_mapping_prot(…, PAGE_KERNEL_RO) = the same walk, NO_CONT.
  pt.map(...alias, pageKernelRO(kpti), NO_CONT_MAPPINGS);
  // set_memory_ro() on a vmalloc area, reaching the linear alias of its pages (rodata=full).
  pt.setMemory(va(RO_ISLAND), 2n << 20n, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "classic");
}

describe.each(ENGINES)("ptdump fixture, $name engine", ({ create }) => {
  const expected = linearSection(readFileSync(FIXTURE, "utf8"));

  it.each(["6.1", "6.12", "6.15"] as const)("rebuilds the Linear Mapping section byte for byte (%s)", (flavour) => {
    const pt = create({ granule: 4, vaBits: 48 });
    bootGuest(pt);
    expect(formatLinearMap(pt, flavour)).toBe(expected);
  });

  it("prints 5.10's version: no start marker, and a first line from address 0", () => {
    const pt = create({ granule: 4, vaBits: 48 });
    bootGuest(pt);
    const lines = expected.split("\n");
    // ptdump_walk() in 5.10 leaves st.level at 0 with start 0 and prot 0, so the first note_page()
    // (a PTE, level 4) closes a "line" [0, PAGE_OFFSET) at level 0 with no attributes.
    const want = ["0x0000000000000000-0xffff000000000000    16776960T PGD", ...lines.slice(1)].join("\n");
    expect(formatLinearMap(pt, "5.10")).toBe(want);
  });
});
