/**
 * `arm64-pgtable explain`: for a machine, a release and a command line, why each range of the
 * linear map is mapped the way it is (which rule, which flag, which commit).
 */
import type { Command } from "commander";
import { explainScenario, explanationJson, explanationText } from "../report/explain.js";
import { runScenario } from "../scenario.js";
import { emit, printNotes } from "./output.js";
import { type ScenarioFlags, addScenarioOptions, scenarioInput } from "./scenario-options.js";

/** Adds `explain` to the program. */
export function addExplainCommand(program: Command): void {
  addScenarioOptions(program.command("explain"))
    .description("why each range of the linear map is mapped the way it is: the flag, the rule and its commit")
    .addHelpText("after", '\nExample:\n  arm64-pgtable explain --memmap 32G@0x80000000 --kernel 6.18 --cmdline "crashkernel=512M"')
    .option("--json", "print the explanation as JSON")
    .option("-o, --output <file>", "write to a file (atomically) instead of stdout")
    .action((opts: ScenarioFlags & { json?: boolean; output?: string }) => {
      const input = scenarioInput(opts);
      const sc = runScenario(input);
      printNotes(sc.notes);
      const e = explainScenario(sc, input);
      emit(opts.json ? `${JSON.stringify(explanationJson(e))}\n` : explanationText(e), opts.output);
    });
}
