/**
 * `arm64-pgtable check`: builds the table the scenario options describe and checks its invariants
 * (src/check.ts): ranges disjoint and covering, CONT groups whole, descriptors legal, table pages
 * accounted, walks agreeing with the ranges. Exit 0 when every check holds, 1 when one does not.
 */
import { type Command, InvalidArgumentError as CommanderArgError, Option } from "commander";
import { checkInvariants } from "../check.js";
import { runScenario } from "../scenario.js";
import { emit, printNotes } from "./output.js";
import { type ScenarioFlags, addScenarioOptions, scenarioInput } from "./scenario-options.js";

interface CheckFlags extends ScenarioFlags {
  samples: number;
  seed: bigint;
  json?: boolean;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

function countArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new CommanderArgError(`"${value}" is not a whole number`);
  return n;
}

function seedArg(value: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(value)) throw new CommanderArgError(`"${value}" is not a number`);
  return BigInt.asUintN(64, BigInt(value));
}

/** Registers the `check` command on the CLI. */
export function addCheckCommand(program: Command): void {
  addScenarioOptions(program.command("check"))
    .description("build the table and check its invariants: disjoint ranges, whole CONT groups, legal descriptors, table pages accounted, walks agreeing with the ranges")
    .option("--samples <n>", "random VAs walked besides each range's first and last byte", countArg, 1024)
    // Help prints defaults with JSON.stringify, which cannot serialise a bigint: say it as text.
    .addOption(new Option("--seed <n>", "seed of the random VAs").argParser(seedArg).default(1n, "1"))
    .option("--json", "print the report as JSON")
    .addHelpText("after", '\nExample:\n  arm64-pgtable check --memmap 8G@0x40000000 --cmdline "rodata=on crashkernel=256M"   # exit 0 when ok, 1 when not')
    .action((opts: CheckFlags) => {
      const sc = runScenario(scenarioInput(opts));
      printNotes(sc.notes);
      const r = checkInvariants(sc.pt, { samples: opts.samples, seed: opts.seed });
      if (opts.json) {
        const problems = r.problems.map((p) => ({ kind: p.kind, va: p.va === undefined ? null : hex(p.va), level: p.level ?? null, detail: p.detail }));
        emit(`${JSON.stringify({ ok: r.ok, problems, omitted: r.omitted, checked: r.checked, notes: sc.notes })}\n`);
      } else if (r.ok) {
        emit(`ok: ${r.checked.ranges} ranges, ${r.checked.walks} walks checked\n`);
      } else {
        const lines = r.problems.map((p) => `${p.kind}${p.va === undefined ? "" : ` ${hex(p.va)}`}${p.level === undefined ? "" : ` level ${p.level}`}: ${p.detail}\n`);
        if (r.omitted > 0) lines.push(`… and ${r.omitted} more problems\n`);
        emit(lines.join(""));
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}
