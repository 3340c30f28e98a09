/**
 * A scenario: a machine's memory map, a kernel release with its configuration and command line,
 * booted on an engine. The CLI, the reports and the sweep all start here.
 */
import type { MemoryMap } from "./memmap/model.js";
import { type Bbml2, type BootResult, type CrashStrategy, bootLinearMap } from "./kernel/boot.js";
import { parseCmdline } from "./kernel/cmdline.js";
import { DEFAULT_CONFIG, type KernelConfig } from "./kernel/config.js";
import { type KernelPolicy, policyFor } from "./kernel/policy.js";
import { parseRelease } from "./kernel/release.js";
import { ReferencePageTable } from "./reference/index.js";
import type { PageTableEngine } from "./types.js";
import { WasmPageTable } from "./wasm/page-table.js";

/** What a scenario is made of. */
export interface ScenarioInput {
  memmap: MemoryMap;
  /** A release as `uname -r` prints it, or a line: 6.1, 6.18. */
  kernel: string;
  cmdline?: string;
  config?: KernelConfig;
  bbml2?: Bbml2;
  kexecLoaded?: boolean;
  /** How the crashkernel meets the linear map (default: as the release does). */
  crashStrategy?: CrashStrategy;
  /** Shrink the crashkernel through /sys/kernel/kexec_crash_size after boot. */
  crashShrinkTo?: bigint;
  /** ZONE_DMA's address bits from firmware (30 on a Raspberry Pi 4; default 32). */
  zoneDmaBits?: number;
  engine?: "wasm" | "reference";
  /**
   * Build on this table instead of a new one (`engine` is then ignored): the warm rebuild, with a
   * table the same scenario built and `reset()`. Its geometry must be the config's (checked); its
   * table attributes and safe rule are the release's only if the same release built it.
   */
  pageTable?: PageTableEngine;
}

/** A booted scenario. */
export interface Scenario {
  pt: PageTableEngine;
  policy: KernelPolicy;
  boot: BootResult;
  /** The linear map's VA range [PAGE_OFFSET, PAGE_END). */
  linear: { start: bigint; end: bigint };
}

/** Where the kernel image lies when the memory map does not say: as QEMU's virt machine loads it. */
export const DEFAULT_KERNEL_LAYOUT = {
  /** `_text` above the start of the first bank (the arm64 boot protocol's 2 MiB alignment). */
  textOffset: 2n << 20n,
  /** `_stext - _text`: the 64 KiB head (SEGMENT_ALIGN). */
  head: 64n << 10n,
  /** `__init_begin - _stext` of a Debian 6.1 arm64 kernel. */
  code: 0x1a0_0000n,
  /** `_end - __init_begin`. */
  rest: 0x80_0000n,
};

/** Boots `input` and returns the table and what the boot decided. */
export function runScenario(input: ScenarioInput): Scenario {
  const policy = policyFor(parseRelease(input.kernel));
  const config = input.config ?? { ...DEFAULT_CONFIG };
  const m = input.memmap;
  const first = m.memory[0];
  const L = DEFAULT_KERNEL_LAYOUT;
  const stext = m.kernel ? m.kernel.base : first.base + L.textOffset + L.head;
  const initBegin = m.kernel ? m.kernel.base + m.kernel.size : stext + L.code;
  const end = m.kernelData ? m.kernelData.base + m.kernelData.size : initBegin + L.rest;
  const { pt, result } = bootLinearMap(
    {
      policy,
      config,
      cmdline: parseCmdline(input.cmdline ?? ""),
      memory: {
        memory: m.memory.map((b) => ({ base: b.base, size: b.size })),
        nomap: [...m.nomap],
        reserved: [...m.reserved],
        kernel: { text: stext - L.head, stext, initBegin, end },
        zoneDmaBits: input.zoneDmaBits ?? 32,
      },
      bbml2: input.bbml2,
      kexecLoaded: input.kexecLoaded,
      crashStrategy: input.crashStrategy,
      crashShrinkTo: input.crashShrinkTo,
      crashkernelAt: m.crashkernel,
    },
    (o) => {
      const given = input.pageTable;
      if (given && (given.geometry.granule !== o.granule || given.geometry.vaBits !== o.vaBits)) {
        throw new RangeError(`pageTable: ${given.geometry.granule}K/${given.geometry.vaBits}-bit table given for a ${o.granule}K/${o.vaBits}-bit configuration`);
      }
      return given ?? (input.engine === "reference" ? new ReferencePageTable(o) : new WasmPageTable(o));
    },
  );
  const start = result.geometry.ttbr1Base;
  return { pt, policy, boot: result, linear: { start, end: start + (1n << BigInt(result.geometry.vaBits - 1)) } };
}
