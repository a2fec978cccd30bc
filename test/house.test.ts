/**
 * The house rules a newcomer relies on to find their way (issue 23): no source file over 450 lines, no
 * function over 80 lines, no function taking more than four things (a context object instead) but the few
 * hot numeric kernels listed below. Generated WebAssembly wrappers (*-wasm.ts) are data, not code, and are
 * left out.
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

/**
 * Functions that may keep more than four positional parameters, as `file:name`, each with its reason: a
 * numeric kernel called per block, row or element pair in an inner loop (an options object would be one
 * allocation per call there), or a WebAssembly module's exports (its ABI). Nothing else.
 */
const MANY_PARAMETERS: Record<string, string> = {
  "src/kernels/dots.ts:dots": "the dots WebAssembly module's export (its ABI: pointers and sizes)",
  "src/kernels/dots.ts:pack": "packs 4-row panels per chunk inside rowDots' block loop",
  "src/kernels/dots.ts:rowDots": "the blocked A·Bᵀ kernel, called per block of rows by the search and the nulls",
  "src/kernels/hungarian.ts:hungarian": "the hungarian WebAssembly module's export (its ABI: pointers and sizes)",
  "src/kernels/kernel.ts:bf16": "the pair kernel WebAssembly module's export (its ABI)",
  "src/kernels/kernel.ts:f32": "the pair kernel WebAssembly module's export (its ABI)",
  "src/kernels/kernel.ts:run": "the pair kernel's sums, once per streamed block",
  "src/kernels/kernel.ts:sums": "the pair kernel's sums, once per streamed block",
  "src/kernels/kernel.ts:runSlots": "the pair kernel's sums on slot memory, once per streamed block",
  "src/safetensors/dtypes.ts:decodeInto": "decodes every block of every tensor read (and per sampled row)",
  "src/search/match-rows.ts:dotSign": "one dot product per matched row pair, inside the matching loop",
  "src/stats/constructions/fit-helpers.ts:project2": "a 2-regressor fit per signal and frequency, in the detectors' inner loops",
  "src/stats/pair-blocks.ts:addRaw": "adds every streamed block of raw bytes to a pair's statistics",
  "src/stats/permutation.ts:standardised": "standardises both sides of every permutation test (per tensor, per null pair)",
};

/** Every function-like thing (declarations, methods, arrows, function types, interface methods) with its name and parameter count. */
function signatures(f: string): { where: string; key: string; n: number }[] {
  const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
  const rel = path.relative(REPO_ROOT, f).split(path.sep).join("/");
  const out: { where: string; key: string; n: number }[] = [];
  const visit = (n: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isArrowFunction(n) ||
      ts.isFunctionExpression(n) ||
      ts.isConstructorDeclaration(n) ||
      ts.isMethodSignature(n) ||
      ts.isFunctionTypeNode(n) ||
      ts.isCallSignatureDeclaration(n) ||
      ts.isConstructSignatureDeclaration(n) ||
      ts.isConstructorTypeNode(n)
    ) {
      const name = ts.isConstructorDeclaration(n) ? "constructor" : n.name && !ts.isComputedPropertyName(n.name) ? n.name.getText(sf) : "<anonymous>";
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      out.push({ where: `${rel}:${line} ${name}`, key: `${rel}:${name}`, n: n.parameters.length });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

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

  it("has no function taking more than four parameters outside the listed hot kernels (a context object instead)", () => {
    const all = FILES.flatMap(signatures);
    const many = all.filter((x) => x.n > 4 && !(x.key in MANY_PARAMETERS)).map((x) => `${x.where} (${x.n} parameters)`);
    expect(many).toEqual([]);
    // The list stays honest: every entry still names a function that takes more than four.
    const listed = new Set(all.filter((x) => x.n > 4).map((x) => x.key));
    expect(Object.keys(MANY_PARAMETERS).filter((k) => !listed.has(k))).toEqual([]);
  });
});
