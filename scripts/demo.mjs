// The README's first command: generate the deterministic example models and run
// the gate twice with the bundled CLI: a fine-tune of the base (the gate fails)
// and an independent model (the gate passes). Exits 0 when both behave so.
import { spawnSync } from "node:child_process";

const cli = ["dist/cli.js"];
const run = (args) => {
  console.log(`\n$ fromscratch-weights ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [...cli, ...args], { stdio: "inherit" });
  console.log(`(exit code ${r.status})`);
  return r.status;
};

if (run(["examples", "examples/models"]) !== 0) process.exit(2);
const reused = run(["check", "--candidate", "examples/models/finetune", "--reference", "examples/models/base", "--report", "examples/models/finetune-report.json", "--quiet"]);
const independent = run(["check", "--candidate", "examples/models/independent", "--reference", "examples/models/base", "--quiet"]);
const ok = reused === 1 && independent === 0;
console.log(
  ok
    ? "\ndemo: the fine-tune fails the gate (exit 1) and the independent model passes (exit 0), as it should."
    : `\ndemo: UNEXPECTED exit codes (fine-tune ${reused}, independent ${independent}).`,
);
process.exit(ok ? 0 : 1);
