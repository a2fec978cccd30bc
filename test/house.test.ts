/**
 * The house rules a newcomer relies on to find their way (issue 23): no source file over 450 lines, no
 * function over 80 lines. Generated WebAssembly wrappers (*-wasm.ts) are data, not code, and are left out.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/fixtures.js";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith(".ts") && !d.name.endsWith("-wasm.ts") ? [p] : [];
  });
}

const FILES = sources(path.join(REPO_ROOT, "src"));

describe("the house", () => {
  it("has no source file over 450 lines", () => {
    const long = FILES.map((f) => ({ f: path.relative(REPO_ROOT, f), n: readFileSync(f, "utf8").split("\n").length })).filter((x) => x.n > 450);
    expect(long).toEqual([]);
  });

  it("has no function over 80 lines", () => {
    const long: string[] = [];
    for (const f of FILES) {
      const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
          const a = sf.getLineAndCharacterOfPosition(n.getStart()).line;
          const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
          if (b - a + 1 > 80) long.push(`${path.relative(REPO_ROOT, f)}:${a + 1} (${b - a + 1} lines)`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });
});
