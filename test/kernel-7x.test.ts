/**
 * The 7.x linear map (Debian 7.3.4's arch/arm64/mm/mmu.c, pageattr.c, init.c, asm/setup.h), on a
 * small machine whose answers are derived by hand: 2 GiB at 0x40000000, the image as Debian 7.3.4
 * links it (test/fixtures/qemu/7.3/2G-default/kernel-syms.txt: _text 0x40200000, __init_begin
 * +0x2700000, __init_end +0x2b00000, __bss_stop +0x321e000, _end +0x3240000).
 */
import { describe, expect, it } from "vitest";
import { PMD_TABLE_PXN, PTE_CONT, PTE_NG, PTE_RDONLY, PTE_VALID, SET_MEMORY } from "../src/descriptor.js";
import { BlockMappingError } from "../src/errors.js";
import { DEFAULT_CONFIG } from "../src/kernel/config.js";
import { MemoryMapError } from "../src/memmap/errors.js";
import { parseKernelSymbols } from "../src/memmap/kernel-symbols.js";
import { parseMemoryMap } from "../src/memmap/index.js";
import { ReferencePageTable } from "../src/reference/index.js";
import { runScenario } from "../src/scenario.js";
import { WasmPageTable } from "../src/wasm/page-table.js";

const SYMS = [
  "ffff800080000000 T _text",
  "ffff800080010000 T _stext",
  "ffff800082700000 T __init_begin",
  "ffff800082b00000 D _sdata",
  "ffff800082b00000 D __init_end",
  "ffff800083140000 B __bss_start",
  "ffff80008321e000 B __bss_stop",
  "ffff800083240000 B _end",
].join("\n");

const IOMEM = [
  "40000000-bfffffff : System RAM",
  "  40200000-428fffff : Kernel code",
  "  42d00000-4343ffff : Kernel data",
].join("\n");

const memmap = parseMemoryMap(IOMEM, { source: "7x.iomem", format: "iomem" });
const layout = parseKernelSymbols(SYMS, "kernel-syms.txt");
// No KFENCE, so that only rodata= decides between blocks and pages.
const config = { ...DEFAULT_CONFIG, kfence: false, rodataFullDefault: false };
const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const va = (pa: bigint) => PAGE_OFFSET + (pa - 0x4000_0000n);

function boot(cmdline: string, extra: Partial<Parameters<typeof runScenario>[0]> = {}) {
  return runScenario({ memmap, kernel: "7.3.4", cmdline, config, kernelLayout: layout, ...extra });
}

describe("kernel symbols", () => {
  it("reads the image's bounds as offsets from _text", () => {
    expect(layout).toEqual({ stext: 0x10000n, initBegin: 0x270_0000n, initEnd: 0x2b0_0000n, bssStop: 0x321_e000n, end: 0x324_0000n });
  });

  it("names the input and the reason when it cannot", () => {
    expect(() => parseKernelSymbols("ffff800080000000 T _text\n", "System.map")).toThrow(/^System\.map: no _stext, __init_begin, __init_end, __bss_stop, _end/);
    expect(() => parseKernelSymbols(SYMS.replace(/^ffff800080000000/, "0000000000000000").replace(/ffff8000/g, "00000000"), "kallsyms")).toThrow(/_text is 0: .*root/);
    expect(() => parseKernelSymbols("_text T ffff\n", "x")).toThrow(MemoryMapError);
    expect(() => parseKernelSymbols("_text T ffff\n", "x")).toThrow(/^x:1: /);
  });
});

describe("7.x rodata=", () => {
  it("has rodata_full on by default whatever CONFIG_RODATA_FULL_DEFAULT_ENABLED says, and with rodata=on", () => {
    expect(boot("").boot.rodataFull).toBe(true);
    expect(boot("rodata=on").boot.rodataFull).toBe(true);
    // 6.12.117: rodata=on turns rodata_full off (acfa60dbe038), and the default is the config's.
    expect(runScenario({ memmap, kernel: "6.12.117", cmdline: "rodata=on", config: { ...config, rodataFullDefault: true } }).boot.rodataFull).toBe(false);
    expect(runScenario({ memmap, kernel: "6.12.117", cmdline: "", config }).boot.rodataFull).toBe(false);
  });

  it("turns rodata_full off with rodata=noalias (and refuses it before 7.0), and refuses rodata=full", () => {
    expect(boot("rodata=noalias").boot.rodataFull).toBe(false);
    const full = boot("rodata=full");
    expect(full.boot.rodataFull).toBe(true);
    expect(full.notes.join("\n")).toMatch(/rodata=full: not a value 7\.3 knows \(on, off, noalias\)/);
    const old = runScenario({ memmap, kernel: "6.12.117", cmdline: "rodata=noalias", config: { ...config, rodataFullDefault: true } });
    expect(old.boot.rodataFull).toBe(true);
    expect(old.notes.join("\n")).toMatch(/rodata=noalias: not a value 6\.12 knows \(on, off, full\)/);
  });
});

describe("7.x map_mem() and mark_rodata_ro()", () => {
  it("maps the text alias with the bank flags: page by page under rodata_full, read-only untagged", () => {
    const w = boot("").pt.walk(va(0x4040_0000n));
    expect(w.level).toBe(3); // a PTE, not the 2M block 6.12 keeps for the alias
    expect(w.descriptor & PTE_RDONLY).toBe(PTE_RDONLY);
    expect((w.descriptor >> 2n) & 7n).toBe(0n); // AttrIndx MT_NORMAL (PAGE_KERNEL_RO), not MT_NORMAL_TAGGED
  });

  it("keeps blocks for the text alias with rodata=noalias", () => {
    const w = boot("rodata=noalias").pt.walk(va(0x4040_0000n));
    expect(w.level).toBe(2);
    expect(w.descriptor & PTE_RDONLY).toBe(PTE_RDONLY);
  });

  it("makes [__init_end, __bss_stop) invalid with nG, and leaves the image's page tables after it mapped", () => {
    const sc = boot("");
    const initEnd = 0x4020_0000n + 0x2b0_0000n;
    const bssStop = 0x4020_0000n + 0x321_e000n;
    for (const pa of [initEnd, bssStop - 0x1000n]) {
      const w = sc.pt.walk(va(pa));
      expect(w.pa).toBeUndefined();
      expect(w.descriptor & PTE_VALID).toBe(0n);
      expect(w.descriptor & PTE_NG).toBe(PTE_NG); // PTE_PRESENT_INVALID
    }
    expect(sc.pt.walk(va(bssStop)).pa).toBe(bssStop);
    expect(sc.pt.walk(va(initEnd - 0x1000n)).pa).toBe(initEnd - 0x1000n); // the init section stays
    expect(sc.boot.dataAlias).toEqual({ base: initEnd, size: bssStop - initEnd });
  });

  it("leaves the data alias valid with rodata=off (mark_rodata_ro() does not run)", () => {
    const pa = 0x4020_0000n + 0x2b0_0000n;
    expect(boot("rodata=off").pt.walk(va(pa)).pa).toBe(pa);
  });

  it("without a symbol table, runs the data alias to _end and says so", () => {
    const sc = runScenario({ memmap, kernel: "7.3.4", cmdline: "", config });
    expect(sc.boot.dataAlias).toEqual({ base: 0x42d0_0000n, size: 0x4344_0000n - 0x42d0_0000n });
    expect(sc.notes.join("\n")).toMatch(/__bss_stop not known/);
  });
});

describe("7.x KASLR", () => {
  it("does not move the linear map, but still forces KPTI on a CPU without E0PD", () => {
    const sc = boot("", { kaslrOffset: 0x1_0000_0000n });
    expect(sc.boot.memstart).toBe(0x4000_0000n);
    expect(sc.notes.join("\n")).toMatch(/does not randomise the linear map/);
    expect(sc.pt.walk(va(0x8000_0000n)).descriptor & PTE_NG).toBe(PTE_NG);
    // 6.12 moves it.
    expect(runScenario({ memmap, kernel: "6.12.117", cmdline: "", config, kaslrOffset: 0x1_0000_0000n }).boot.memstart).toBe(0x4000_0000n - 0x1_0000_0000n);
  });
});

describe("update_range_prot() without a split (leaf mode), both engines", () => {
  // 4K pages: a 2M block at VA0, then 64K of CONT pages after it. Hand-derived: leaves change in
  // place and keep CONT (pageattr_pte_entry), a block changes whole, a block covered in part refuses.
  const VA0 = 0xffff_0000_0000_0000n;
  for (const make of [(o: object) => new WasmPageTable(o), (o: object) => new ReferencePageTable(o)]) {
    it(make({}).constructor.name, () => {
      const pt = make({ granule: 4, vaBits: 48, safeRule: "v7.3" });
      pt.map(VA0, 0x4000_0000n, 0x20_0000n + 0x1_0000n, 0x0060_0000_0000_0703n);
      pt.setMemory(VA0 + 0x20_0000n, 0x1000n, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "leaf");
      const page = pt.walk(VA0 + 0x20_0000n).descriptor;
      expect(page & PTE_CONT).toBe(PTE_CONT);
      expect(page & PTE_RDONLY).toBe(PTE_RDONLY);
      expect(pt.walk(VA0 + 0x20_1000n).descriptor & PTE_RDONLY).toBe(0n); // its CONT neighbour is left alone
      pt.setMemory(VA0, 0x20_0000n, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "leaf");
      expect(pt.walk(VA0 + 0x1000n)).toMatchObject({ level: 2 });
      expect(pt.walk(VA0 + 0x1000n).descriptor & PTE_RDONLY).toBe(PTE_RDONLY);
      expect(() => pt.setMemory(VA0, 0x1000n, SET_MEMORY.rw.set, SET_MEMORY.rw.clear, "leaf")).toThrow(BlockMappingError);
      expect(() => pt.setMemory(VA0, 0x1000n, SET_MEMORY.rw.set, SET_MEMORY.rw.clear, "classic")).toThrow(BlockMappingError);
      pt.dispose();
    });
  }
});

describe("the releases between 6.18 and 7.3", () => {
  it("7.2 makes the data/bss alias read-only, 7.3 invalid", () => {
    const pa = 0x4020_0000n + 0x2b0_0000n;
    const ro = runScenario({ memmap, kernel: "7.2.0", cmdline: "", config, kernelLayout: layout }).pt.walk(va(pa));
    expect(ro.pa).toBe(pa);
    expect(ro.descriptor & PTE_RDONLY).toBe(PTE_RDONLY);
    expect(boot("").pt.walk(va(pa)).pa).toBeUndefined();
  });

  it("6.18 reads rodata= as 7.x does (rodata=on is full); 6.17 as before", () => {
    expect(runScenario({ memmap, kernel: "6.18", cmdline: "rodata=on", config }).boot.rodataFull).toBe(true);
    expect(runScenario({ memmap, kernel: "6.17", cmdline: "rodata=on", config: { ...config, rodataFullDefault: true } }).boot.rodataFull).toBe(false);
  });

  it("6.16 no longer moves the linear map under KASLR; 6.15 does", () => {
    expect(runScenario({ memmap, kernel: "6.16", cmdline: "", config, kaslrOffset: 0x1_0000_0000n }).boot.memstart).toBe(0x4000_0000n);
    expect(runScenario({ memmap, kernel: "6.15", cmdline: "", config, kaslrOffset: 0x1_0000_0000n }).boot.memstart).toBe(0x4000_0000n - 0x1_0000_0000n);
  });

  it("KFENCE's guard pages carry nG from 6.18.24 (the backport of 15bfba1ad77f), not in 6.18.23", () => {
    const guard = (kernel: string) => {
      const sc = runScenario({ memmap, kernel, cmdline: "kfence.sample_interval=100", config: { ...config, kfence: true } });
      const w = sc.pt.walk(va(sc.boot.kfencePool!.base)); // page 0 of the pool: protected by kfence_init_pool()
      expect(w.descriptor & PTE_VALID).toBe(0n);
      return w.descriptor & PTE_NG;
    };
    expect(guard("6.18.24")).toBe(PTE_NG);
    expect(guard("6.18.23")).toBe(0n);
  });
});

describe("7.2+ map_mem() details", () => {
  const kfence = { ...config, kfence: true };
  it("maps the early KFENCE pool first with NO_EXEC_MAPPINGS: its PMD table entry has PXNTable (7.1 maps it last without)", () => {
    const pxn = (kernel: string) => {
      const sc = runScenario({ memmap, kernel, cmdline: "kfence.sample_interval=100 rodata=noalias", config: kfence, kernelLayout: layout });
      // rodata=noalias, KFENCE early: blocks elsewhere, so the pool's 2M (0xbfe00000, top of RAM) has a PTE table of its own.
      const path = sc.pt.walk(va(sc.boot.kfencePool!.base + 0x2000n)).path;
      return path[path.length - 2] & PMD_TABLE_PXN; // the PMD entry: the table the pool's PTEs are in
    };
    expect(pxn("7.2.0")).toBe(PMD_TABLE_PXN);
    expect(pxn("7.1.0")).toBe(0n);
  });

  it("--bbml2 boot on 7.3: the repaint to pages takes the data/bss alias too", () => {
    const sc = runScenario({ memmap, kernel: "7.3.4", cmdline: "", config, kernelLayout: layout, bbml2: "boot" });
    const w = sc.pt.walk(va(0x4020_0000n + 0x2b0_0000n));
    expect([w.level, w.descriptor & PTE_CONT]).toEqual([3, 0n]);
  });

  it("64K pages: sparse_init()'s buffer (512 MiB a section) does not fit, and that is not a note", () => {
    const sc = runScenario({ memmap, kernel: "6.12.117", cmdline: "", config: { ...config, granule: 64, vaBits: 48 } });
    expect(sc.notes.join("\n")).not.toMatch(/sparse_init/);
  });
});
