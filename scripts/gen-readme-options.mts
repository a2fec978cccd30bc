/**
 * Write the README's table of options (every option of src/settings/options.ts) between its
 * `<!-- options:start -->` and `<!-- options:end -->` markers. Without the markers it writes nothing,
 * says so and exits 1. `--check`: write nothing, exit 1 when the table would change.
 *   node --import tsx scripts/gen-readme-options.mts [--check]
 */
import { readFile, writeFile } from "node:fs/promises";
import { README_END, README_START, updateReadme } from "../src/settings/render-options.js";

const file = new URL("../README.md", import.meta.url);
const before = await readFile(file, "utf8");
const after = updateReadme(before);
if (after === null) {
  console.error(`README.md has no ${README_START} ... ${README_END} markers: add them where the table of options belongs, then run this again`);
  process.exit(1);
}
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("README.md's table of options differs from the option table: run node --import tsx scripts/gen-readme-options.mts");
    process.exit(1);
  }
  console.log("README.md's table of options matches the option table");
} else if (after === before) console.log("README.md: table of options up to date");
else {
  await writeFile(file, after);
  console.log("README.md: table of options written between its markers");
}
