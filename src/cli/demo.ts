/**
 * The short demo: one RAM bank booted by the same model as `summary` (map_mem() with the kernel
 * alias and its read-only remap), with blocks (rodata=on) and page by page (rodata=full), and what
 * each costs. Each row is `summary --memmap SIZE@PA --kernel K --cmdline rodata=…`.
 */
import { parseMemoryMap } from "../memmap/index.js";
import { columns } from "../report/columns.js";
import { leavesText } from "../report/labels.js";
import { summarize } from "../report/summary.js";
import { runScenario } from "../scenario.js";
import { formatSize } from "../units.js";

/** One row of the demo's table. */
export interface DemoRow {
  policy: string;
  cmdline: string;
  /** Table pages below the PGD: PUD, PMD, PTE. */
  tables: number[];
  tableBytes: number;
  descriptors: number;
  leaves: string;
  ms: number;
}

/** Runs the demo for `size` bytes of RAM at `pa` on `kernel` and prints the comparison. */
export function runDemo(size: bigint, pa: bigint, print: (s: string) => void = console.log, kernel = "6.1"): DemoRow[] {
  const shorthand = `${formatSize(size)}@0x${pa.toString(16)}`;
  const memmap = parseMemoryMap(shorthand, { format: "shorthand" });
  const build = (policy: string, cmdline: string): DemoRow => {
    const t0 = performance.now();
    const sc = runScenario({ memmap, kernel, cmdline });
    const ms = performance.now() - t0;
    const s = summarize(sc.pt, sc.linear.start, sc.linear.end);
    const row = {
      policy,
      cmdline,
      tables: [s.tables.pud, s.tables.pmd, s.tables.pte],
      tableBytes: s.tableBytes,
      descriptors: sc.pt.stats().descriptorsWritten,
      leaves: leavesText(s, sc.boot.geometry),
      ms,
    };
    sc.pt.dispose();
    return row;
  };
  const rows = [build("blocks + CONT (rodata=on)", "rodata=on"), build("page by page (rodata=full)", "rodata=full")];
  print(
    `Linear map of ${formatSize(size)} of RAM at PA 0x${pa.toString(16)}, kernel ${kernel} (defconfig: 4K pages, 48-bit VA), ` +
      "booted as `summary` boots it: the bank loop of map_mem(), the kernel alias, its read-only remap",
  );
  print("");
  const head = ["policy", "PUD/PMD/PTE tables", "table memory", "descriptors", "build", "leaf entries"];
  const cells = rows.map((r) => [
    r.policy,
    r.tables.join(" / "),
    `${(r.tableBytes / 1024).toLocaleString("en-US")} KiB`,
    r.descriptors.toLocaleString("en-US"),
    `${r.ms.toFixed(1)} ms`,
    r.leaves,
  ]);
  print(columns([head, ...cells]));
  const extra = rows[1].tableBytes - rows[0].tableBytes;
  print("");
  print(
    `Page-granular mapping costs ${(extra / 1024).toLocaleString("en-US")} KiB more page-table memory ` +
      `(${((extra / Number(size)) * 100).toFixed(3)}% of RAM; about 2 GiB per TiB) and ` +
      `${(rows[1].descriptors / rows[0].descriptors).toFixed(0)}x the descriptor writes.`,
  );
  print(`Each row is: arm64-pgtable summary --memmap ${shorthand} --kernel ${kernel} --cmdline ROW'S rodata=`);
  return rows;
}
