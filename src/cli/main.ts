#!/usr/bin/env node
/** The `arm64-pgtable` command line. */
import { Command, InvalidArgumentError as CommanderArgError } from "commander";
import { parseSize } from "../units.js";
import { runDemo } from "./demo.js";

function sizeArg(value: string): bigint {
  try {
    return parseSize(value);
  } catch (e) {
    throw new CommanderArgError((e as Error).message);
  }
}

const program = new Command();
program
  .name("arm64-pgtable")
  .description("Bit-exact simulator of the arm64 Linux kernel's linear-map page tables")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command("demo")
  .description("map one RAM bank with blocks and page by page, and compare the costs")
  .option("--size <size>", "RAM size (e.g. 16G)", sizeArg, 16n << 30n)
  .option("--pa <address>", "physical base of the bank", sizeArg, 0x4000_0000n)
  .action((opts: { size: bigint; pa: bigint }) => {
    runDemo(opts.size, opts.pa);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  console.error(`arm64-pgtable: ${(e as Error).message}`);
  process.exit(2);
}
