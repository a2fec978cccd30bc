/**
 * Write action.yml's `inputs:` from the option table (src/settings/options.ts), keeping everything
 * else (name, branding, outputs, runs) as it is. `--check`: write nothing, exit 1 when it would change.
 *   node --import tsx scripts/gen-action-yml.mts [--check]
 */
import { readFile, writeFile } from "node:fs/promises";
import { updateActionYml } from "../src/settings/render-options.js";

const file = new URL("../action.yml", import.meta.url);
const before = await readFile(file, "utf8");
const after = updateActionYml(before);
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("action.yml's inputs differ from the option table: run node --import tsx scripts/gen-action-yml.mts");
    process.exit(1);
  }
  console.log("action.yml's inputs match the option table");
} else if (after === before) console.log("action.yml: up to date");
else {
  await writeFile(file, after);
  console.log("action.yml: inputs written from the option table");
}
