#!/usr/bin/env node
/** The `arm64-pgtable` command line. Errors are one line on stderr and exit code 2. */
import { InputFileError, readInputText } from "../input-file.js";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError as CommanderArgError, Option } from "commander";
import { FAULT_PA } from "../types.js";
import { diffPtdump, flavourForRelease, formatLinearMap, parsePtdump, renderPtdumpDiff } from "../ptdump/index.js";
import { linearSections } from "../ptdump/diff.js";
import { columns } from "../report/columns.js";
import { leavesText } from "../report/labels.js";
import { scenarioJson, summarize } from "../report/summary.js";
import { summaryLines } from "../report/summary-text.js";
import { runScenario } from "../scenario.js";
import { parseSize } from "../units.js";
import { runDemo } from "./demo.js";
import { emit, printNotes } from "./output.js";
import { type ScenarioFlags, UsageError, addScenarioOptions, scenarioInput } from "./scenario-options.js";

function sizeArg(value: string): bigint {
  try {
    return parseSize(value);
  } catch (e) {
    throw new CommanderArgError((e as Error).message);
  }
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The package's version, from the package.json above this file (dist/src/cli/ or src/cli/). */
function packageVersion(): string {
  for (const up of ["../../../package.json", "../../package.json"]) {
    try {
      return (JSON.parse(readInputText(fileURLToPath(new URL(up, import.meta.url)))) as { version: string }).version;
    } catch {
      // try the next
    }
  }
  return "unknown";
}

const program = new Command();
program
  .name("arm64-pgtable")
  .version(packageVersion(), "-V, --version", "print the version")
  .description("Bit-exact simulator of the arm64 Linux kernel's linear-map page tables")
  .showHelpAfterError()
  .exitOverride();

program
  .command("demo")
  .description("boot one RAM bank with blocks (rodata=on) and page by page (rodata=full), as summary does, and compare the costs")
  // Help prints defaults with JSON.stringify, which cannot serialise a bigint: say them as text.
  .addOption(new Option("--size <size>", "RAM size (e.g. 16G)").argParser(sizeArg).default(16n << 30n, "16G"))
  .addOption(new Option("--pa <address>", "physical base of the bank").argParser(sizeArg).default(0x4000_0000n, "0x40000000"))
  .option("--kernel <release>", "kernel release (uname -r) or line", "6.1")
  .option("--json", "print the rows as JSON")
  .addHelpText("after", "\nExample:\n  arm64-pgtable demo --size 64G --kernel 6.12")
  .action((opts: { size: bigint; pa: bigint; kernel: string; json?: boolean }) => {
    if (opts.json) {
      const rows = runDemo(opts.size, opts.pa, () => {}, opts.kernel);
      emit(`${JSON.stringify(rows.map((r) => ({ ...r, ms: undefined })))}\n`);
      return;
    }
    runDemo(opts.size, opts.pa, console.log, opts.kernel);
  });

addScenarioOptions(program.command("ptdump"))
  .description("print the Linear Mapping section of /sys/kernel/debug/kernel_page_tables as the kernel would")
  .addHelpText("after", '\nExample:\n  arm64-pgtable ptdump --memmap /proc/iomem --kernel 6.1.192 --cmdline "$(cat /proc/cmdline)" -o predicted.txt')
  .option("-o, --output <file>", "write to a file (atomically) instead of stdout")
  .action((opts: ScenarioFlags & { output?: string }) => {
    const sc = runScenario(scenarioInput(opts));
    printNotes(sc.notes);
    emit(formatLinearMap(sc.pt, flavourForRelease(sc.policy.release)), opts.output);
  });

addScenarioOptions(program.command("summary"))
  .description("table pages, leaves by size and bytes mapped by the linear map")
  .addHelpText("after", '\nExample:\n  arm64-pgtable summary --memmap 8G@0x40000000 --kernel 5.15 --cmdline "rodata=on crashkernel=256M" --json')
  .option("--json", "print the JSON summary")
  .option("-o, --output <file>", "write to a file (atomically) instead of stdout")
  .action((opts: ScenarioFlags & { json?: boolean; output?: string }) => {
    const input = scenarioInput(opts);
    const sc = runScenario(input);
    printNotes(sc.notes);
    const s = summarize(sc.pt, sc.linear.start, sc.linear.end);
    if (opts.json) {
      emit(`${JSON.stringify(scenarioJson(s, sc))}\n`, opts.output);
      return;
    }
    const lines = summaryLines(input.kernel, sc, s);
    emit(`${lines.join("\n")}\n`, opts.output);
  });

addScenarioOptions(program.command("translate"))
  .description("translate linear-map VAs with the hardware walk: `VA PA` or `VA unmapped`")
  .argument("<va...>", "virtual addresses (hex with 0x, or decimal)")
  .option("--json", "print [{va, pa, level, descriptor}] (pa null when unmapped)")
  .addHelpText("after", "\nExample:\n  arm64-pgtable translate --memmap 8G@0x40000000 0xffff000000200000 0xffff000100000000")
  .action((vaTexts: string[], opts: ScenarioFlags & { json?: boolean }) => {
    const vas = vaTexts.map((t) => {
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new UsageError(`translate ${t}: not an address (hex with 0x, or decimal)`);
      const v = BigInt(t);
      if (v >= 1n << 64n) throw new UsageError(`translate ${t}: beyond 64 bits`);
      return v;
    });
    const sc = runScenario(scenarioInput(opts));
    printNotes(sc.notes);
    if (opts.json) {
      const walks = vas.map((va) => sc.pt.walk(va));
      emit(`${JSON.stringify(walks.map((w) => ({ va: hex(w.va), pa: w.pa === undefined ? null : hex(w.pa), level: w.level, descriptor: hex(w.descriptor), fault: w.fault ?? null })))}\n`);
      return;
    }
    const { pa } = sc.pt.walkMany(BigUint64Array.from(vas));
    emit(vas.map((va, i) => `${hex(va)} ${pa[i] === FAULT_PA ? "unmapped" : hex(pa[i])}\n`).join(""));
  });

addScenarioOptions(program.command("crash-options"))
  .description("the upstream discussion's options for the crashkernel, side by side on one machine (--crash-strategy: the release's own and that one)")
  .option("--json", "print the rows as JSON")
  .addHelpText("after", '\nExample:\n  arm64-pgtable crash-options --memmap 32G@0x40000000 --kernel 6.1 --cmdline "rodata=on crashkernel=512M"')
  .action((opts: ScenarioFlags & { json?: boolean }) => {
    const all = ["kernel", "blocks-then-split", "early-firmware", "assume-1g-dma"] as const;
    const strategies = opts.crashStrategy === undefined ? all : [...new Set(["kernel", opts.crashStrategy] as const)];
    const input = scenarioInput(opts);
    const notes: string[] = [];
    let unreserved = 0;
    const json: object[] = [];
    const rows = strategies.map((strategy) => {
      const sc = runScenario({ ...input, crashStrategy: strategy });
      // The release's own row carries the notes about the inputs; the others add only their own.
      for (const n of sc.notes) {
        const own = n.startsWith("--crash-strategy") ? opts.crashStrategy !== undefined : strategy === "kernel" || !n.startsWith("--");
        if (own && !notes.includes(n)) notes.push(n);
      }
      if (!sc.boot.crashkernel?.size) unreserved++;
      const s = summarize(sc.pt, sc.linear.start, sc.linear.end);
      const ck = sc.boot.crashkernel;
      json.push({
        strategy,
        crashkernel: ck && ck.size > 0n ? { base: hex(ck.base), bytes: Number(ck.size) } : null,
        tables: s.tables,
        tableBytes: s.tableBytes,
        descriptorsWritten: sc.pt.stats().descriptorsWritten,
        leaves: s.leaves,
      });
      return [
        strategy,
        ck && ck.size > 0n ? `${hex(ck.base)}+${ck.size >> 20n}M` : "none",
        `${s.tables.pud}/${s.tables.pmd}/${s.tables.pte}`,
        `${(s.tableBytes / 1024).toLocaleString("en-US")} KiB`,
        sc.pt.stats().descriptorsWritten.toLocaleString("en-US"),
        leavesText(s, sc.boot.geometry),
      ];
    });
    if (unreserved === strategies.length && opts.crashStrategy === undefined) {
      notes.push("crash-options: no crash kernel is reserved, so the strategies cannot differ (give crashkernel= in --cmdline)");
    }
    printNotes(notes);
    const head = ["strategy", "crashkernel", "PUD/PMD/PTE tables", "table memory", "descriptors written", "leaves"];
    if (opts.json) {
      emit(`${JSON.stringify(json)}\n`);
      return;
    }
    emit(`${columns([head, ...rows])}\n`);
  });

program
  .command("diff")
  .description("explain where two ptdump files differ (their Linear Mapping sections, unless --all-sections)")
  .argument("<a>", "first dump")
  .argument("<b>", "second dump")
  .option("--all-sections", "compare the whole dumps, not only their Linear Mapping sections")
  .option("--json", "print the differences as JSON")
  .addHelpText("after", "\nExample:\n  arm64-pgtable diff real.txt predicted.txt   # exit 1 when they differ")
  .action((a: string, b: string, opts: { allSections?: boolean; json?: boolean }) => {
    const read = (p: string) => {
      try {
        return parsePtdump(readInputText(p), basename(p));
      } catch (e) {
        if (e instanceof InputFileError) throw new UsageError(`diff ${p}: ${e.reason}`);
        throw e;
      }
    };
    const [da, db] = [read(a), read(b)];
    let d;
    if (opts.allSections) {
      d = diffPtdump(da, db);
    } else {
      const la = linearSections(da, a);
      const lb = linearSections(db, b);
      printNotes([la.note, lb.note].filter((n): n is string => n !== undefined).map((n) => `diff: ${n}`));
      d = diffPtdump(la.ranges, lb.ranges);
    }
    emit(opts.json ? `${JSON.stringify(d, (_k, v) => (typeof v === "bigint" ? hex(v) : v))}\n` : renderPtdumpDiff(d, { labels: [a, b] }));
    process.exitCode = d.entries.length === 0 ? 0 : 1;
  });

(await import("./sweep.js")).addSweepCommand(program);
(await import("./explain.js")).addExplainCommand(program);
(await import("./host.js")).addHostCommand(program);
(await import("./tlb.js")).addTlbCommand(program);
(await import("./check.js")).addCheckCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  console.error(`arm64-pgtable: ${(e as Error).message.split("\n")[0]}`);
  process.exit(2);
}
