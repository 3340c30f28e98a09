/**
 * The model against real kernels: Debian's 6.1.192 arm64 kernel booted under QEMU's virt machine
 * (test/fixtures/qemu/README.md says how each capture was made). For every capture, the memory map
 * (/proc/iomem), the command line (/proc/cmdline) and the build configuration go into the boot
 * model, and its ptdump must equal the kernel's Linear Mapping section byte for byte, once the
 * read-only islands the running kernel made after boot (set_memory_ro of module pages and the like)
 * are applied to the model too. The crashkernel placement must match the boot log.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SET_MEMORY } from "../src/descriptor.js";
import { parseConfig } from "../src/kernel/config.js";
import { parseMemoryMap } from "../src/memmap/index.js";
import { findSection, formatLinearMap, parsePtdump } from "../src/ptdump/index.js";
import { runScenario } from "../src/scenario.js";
import { FAULT_PA } from "../src/types.js";

const ROOT = join(import.meta.dirname, "fixtures", "qemu", "6.1");
const config = { ...parseConfig(readFileSync(join(ROOT, "config-6.1.0-56-arm64.relevant"), "utf8"), "config-6.1.0-56-arm64.relevant"), dmaCma: true };
// KASLR moves the linear map and forces KPTI: its randomised offset is not an input of the model.
const captures = readdirSync(ROOT).filter((d) => !d.includes(".") && d !== "8G-kaslr");

function linearSection(text: string): string {
  const lines = text.split("\n");
  const from = lines.indexOf("---[ Linear Mapping start ]---");
  const to = lines.indexOf("---[ Linear Mapping end ]---");
  return `${lines.slice(from, to + 1).join("\n")}\n`;
}

describe("boot model vs Debian 6.1.192 under QEMU virt", () => {
  it("has the captures", () => {
    expect(captures.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of captures) {
    it(name, () => {
      const dir = join(ROOT, name);
      const read = (f: string) => readFileSync(join(dir, f), "utf8");
      const memmap = parseMemoryMap(read("iomem.txt"), { source: `${name}/iomem.txt`, format: "iomem" });
      // uname -r says 6.1.0-56-arm64 (Debian's ABI name); the boot log names the stable release.
      const release = /SMP Debian (\d+\.\d+\.\d+)-/.exec(read("dmesg.txt"))![1];
      expect(release).toBe("6.1.192");
      const sc = runScenario({ memmap, kernel: release, cmdline: read("cmdline.txt"), config });
      const real = linearSection(read("ptdump.txt"));
      // The kernel's read-only islands in memory mapped read-write at boot: apply them to the model.
      const section = findSection(parsePtdump(real, `${name}/ptdump.txt`), "Linear Mapping");
      const alias = { start: sc.linear.start + (memmap.kernel!.base - sc.boot.memstart), size: memmap.kernel!.size };
      for (const line of section!.ranges) {
        if (!line.attributes.includes("ro") || line.memType !== "MEM/NORMAL-TAGGED") continue;
        if (line.start >= alias.start && line.end <= alias.start + alias.size) continue;
        sc.pt.setMemory(line.start, line.end - line.start, SET_MEMORY.ro.set, SET_MEMORY.ro.clear, "classic");
      }
      expect(formatLinearMap(sc.pt, "6.1")).toBe(real);
      // translate: a VA in a line the kernel shows with attributes maps to PA = VA - PAGE_OFFSET +
      // memstart_addr (0x40000000); a VA in a line without attributes (a hole) is unmapped.
      const probes: Array<[bigint, boolean]> = section!.ranges.flatMap((r) => {
        const mid = r.start + (((r.end - r.start) / 2n) & ~0xfffn) + 0x123n;
        return [[r.start, r.attributes.length > 0], [mid, r.attributes.length > 0]] as Array<[bigint, boolean]>;
      });
      const { pa } = sc.pt.walkMany(BigUint64Array.from(probes.map(([va]) => va)));
      probes.forEach(([va, mapped], i) => {
        expect(pa[i], `0x${va.toString(16)}`).toBe(mapped ? va - sc.linear.start + 0x4000_0000n : FAULT_PA);
      });
      // The crashkernel lands where the kernel put it, when the model can know (the DMA zone ends
      // below the early allocations at the top of RAM: 8 GiB and more).
      const logged = /crashkernel reserved: 0x([0-9a-f]+) - 0x([0-9a-f]+)/.exec(read("dmesg.txt"));
      if (logged && !name.startsWith("2G") && !name.includes("high")) {
        expect(memmap.crashkernel?.base ?? sc.boot.crashkernel?.base).toBe(BigInt(`0x${logged[1]}`));
      }
    });
  }
});
