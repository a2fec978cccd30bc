// Bundle the action (dist/index.js, its launcher; dist/action-check.js, the step it runs; dist/action-cache-helper.js, its cache calls) and the CLI (dist/cli.js, its launcher; dist/cli-check.js, the check it runs) into self-contained ESM files.
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

/**
 * @actions/core imports @actions/http-client (and with it undici, 780 KB of the step's bundle, ~15 MB of
 * the check process's memory) for one function, getIDToken, which the step never calls. In the step's
 * bundle its two classes are stand-ins that say so if ever constructed.
 */
const withoutOidcClient = {
  name: "without-oidc-client",
  setup(b) {
    b.onResolve({ filter: /^@actions\/http-client(\/.*)?$/ }, (args) => ({ path: args.path, namespace: "without-oidc-client" }));
    b.onLoad({ filter: /.*/, namespace: "without-oidc-client" }, () => ({
      contents:
        "const no = () => { throw new Error('@actions/http-client is not bundled with fromscratch (core.getIDToken is not used)'); };\n" +
        "export class HttpClient { constructor() { no(); } }\nexport class BearerCredentialHandler { constructor() { no(); } }\n",
      loader: "js",
    }));
  },
};

// The action's launcher (dist/index.js), and the step it runs in a worker thread (dist/action-check.js).
await build({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js" });
await build({ ...common, entryPoints: ["src/action-check.ts"], outfile: "dist/action-check.js", plugins: [withoutOidcClient] });
// The process that makes the step's GitHub cache service calls. keepNames: @actions/cache tells its errors
// apart by `err.name === SomeError.name` (e.g. "another job is saving this entry" is an info line, not a
// warning); esbuild's renaming of classes breaks that.
await build({ ...common, keepNames: true, entryPoints: ["src/action-cache-helper.ts"], outfile: "dist/action-cache-helper.js" });
await build({ ...common, entryPoints: ["src/cli-main.ts"], outfile: "dist/cli.js" });
// The check the CLI's launcher (dist/cli.js) runs in a worker thread: a bundle of its own, so the launcher's thread never loads the engine.
await build({ ...common, entryPoints: ["src/cli-check.ts"], outfile: "dist/cli-check.js" });
