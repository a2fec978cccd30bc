// Bundle the action (dist/index.js) and the CLI (dist/cli.js, its launcher; dist/cli-check.js, the check it runs) into self-contained ESM files.
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  legalComments: "none",
  // Some bundled CommonJS dependencies call require(); give ESM a require.
  banner: { js: "import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);" },
  logLevel: "warning",
};

// keepNames: @actions/cache tells its errors apart by `err.name === SomeError.name` (e.g. "another
// job is saving this entry" is an info line, not a warning); esbuild's renaming of classes breaks that.
await build({ ...common, keepNames: true, entryPoints: ["src/index.ts"], outfile: "dist/index.js" });
await build({ ...common, entryPoints: ["src/cli-main.ts"], outfile: "dist/cli.js" });
// The check the CLI's launcher (dist/cli.js) runs in a worker thread: a bundle of its own, so the launcher's thread never loads the engine.
await build({ ...common, entryPoints: ["src/cli-check.ts"], outfile: "dist/cli-check.js" });
