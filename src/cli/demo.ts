/**
 * The demo behind `npm start`: one RAM bank mapped the way map_mem() maps it with blocks
 * (rodata=on) and page by page (rodata=full), and what each costs.
 */
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, pageKernel } from "../descriptor.js";
import { countLeaves } from "../leaves.js";
import { columns } from "../report/columns.js";
import { formatSize } from "../units.js";
import { WasmPageTable } from "../wasm/page-table.js";

const PAGE_OFFSET = 0xffff_0000_0000_0000n;

/** One row of the demo's table. */
interface DemoRow {
  policy: string;
  tables: number[];
  tableBytes: number;
  descriptors: number;
  leaves: string;
  ms: number;
}

function build(size: bigint, pa: bigint, policy: string, flags: number): DemoRow {
  const pt = new WasmPageTable();
  const t0 = performance.now();
  pt.map(PAGE_OFFSET, pa, size, pageKernel({ tagged: true }), flags);
  const ms = performance.now() - t0;
  const s = pt.stats();
  const leaves = countLeaves(pt);
  const names: Record<number, string> = { 1: "1G", 2: "2M", 3: "4K" };
  const parts = Object.keys(leaves.entries)
    .map(Number)
    .sort()
    .map((l) => `${leaves.entries[l]} x ${names[l]}${leaves.cont[l] ? ` (${leaves.cont[l]} CONT)` : ""}`);
  pt.dispose();
  return {
    policy,
    // Table pages below the PGD, per level: PUD, PMD, PTE.
    tables: [2, 1, 0].map((d) => s.levels[d].live),
    tableBytes: s.tableBytes - Number(pt.geometry.pageSize),
    descriptors: s.descriptorsWritten,
    leaves: parts.join(", "),
    ms,
  };
}

/** Runs the demo for `size` bytes of RAM at `pa` and prints the comparison. */
export function runDemo(size: bigint, pa: bigint, print: (s: string) => void = console.log): DemoRow[] {
  const rows = [
    build(size, pa, "blocks + CONT (rodata=on)", NO_EXEC_MAPPINGS),
    build(size, pa, "page by page (rodata=full)", NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS | NO_EXEC_MAPPINGS),
  ];
  print(`Linear map of ${formatSize(size)} of RAM at PA 0x${pa.toString(16)}, 4K pages, 48-bit VA (map_mem() in arch/arm64/mm/mmu.c)`);
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
      `(${((extra / Number(size)) * 100).toFixed(3)}% of RAM; 2 GiB per TiB) and ` +
      `${(rows[1].descriptors / rows[0].descriptors).toFixed(0)}x the descriptor writes.`,
  );
  return rows;
}
