/**
 * A candidate matrix stored as several tensors, as the linear map they make:
 * low-rank factors (U [out, r] · V [r, in], SVD compression), an unmerged
 * adapter beside its base (W + B·A, LoRA), row or column blocks stored apart
 * (tensor-parallel shards). It is compared with the reference's matrix by
 * probing (src/engine/compare-factored.ts), never multiplied out.
 */
import type { TensorEntry } from "../sources/types.js";
import type { TensorView } from "./view.js";

export type LinearOperator =
  | { kind: "matrix"; view: TensorView }
  | { kind: "product"; left: LinearOperator; right: LinearOperator }
  | { kind: "sum"; terms: LinearOperator[] }
  | { kind: "stack"; axis: "rows" | "cols"; blocks: LinearOperator[] };

/** [rows, cols] of the map (canonical [out, in]). */
export function operatorShape(op: LinearOperator): [number, number] {
  switch (op.kind) {
    case "matrix":
      return [op.view.rows, op.view.cols];
    case "product":
      return [operatorShape(op.left)[0], operatorShape(op.right)[1]];
    case "sum":
      return operatorShape(op.terms[0]!);
    case "stack": {
      const shapes = op.blocks.map(operatorShape);
      const along = op.axis === "rows" ? 0 : 1;
      const total = shapes.reduce((s, x) => s + x[along], 0);
      return op.axis === "rows" ? [total, shapes[0]![1]] : [shapes[0]![0], total];
    }
  }
}

/** The stored tensors the map reads, each once, in order. */
export function operatorTensors(op: LinearOperator): TensorEntry[] {
  const out: TensorEntry[] = [];
  const walk = (o: LinearOperator): void => {
    if (o.kind === "matrix") {
      if (!out.includes(o.view.entry)) out.push(o.view.entry);
    } else if (o.kind === "product") {
      walk(o.left);
      walk(o.right);
    } else (o.kind === "sum" ? o.terms : o.blocks).forEach(walk);
  };
  walk(op);
  return out;
}

/** The map in words: `A · B`, `W + B · A`, `[A; B]` (rows), `[A | B]` (columns). */
export function describeOperator(op: LinearOperator): string {
  switch (op.kind) {
    case "matrix":
      return op.view.entry.name + (op.view.transpose ? "ᵀ" : "");
    case "product":
      return `${describeOperator(op.left)} · ${describeOperator(op.right)}`;
    case "sum":
      return op.terms.map(describeOperator).join(" + ");
    case "stack":
      return `[${op.blocks.map(describeOperator).join(op.axis === "rows" ? "; " : " | ")}]`;
  }
}

/** Does the map have the reference matrix's shape, and is every inner dimension consistent? */
export function operatorFits(op: LinearOperator, rows: number, cols: number): boolean {
  if (!consistent(op)) return false;
  const [r, c] = operatorShape(op);
  return r === rows && c === cols;
}

function consistent(op: LinearOperator): boolean {
  switch (op.kind) {
    case "matrix":
      return true;
    case "product":
      return consistent(op.left) && consistent(op.right) && operatorShape(op.left)[1] === operatorShape(op.right)[0];
    case "sum": {
      const [r, c] = operatorShape(op.terms[0]!);
      return op.terms.every((t) => consistent(t) && operatorShape(t)[0] === r && operatorShape(t)[1] === c);
    }
    case "stack": {
      const across = op.axis === "rows" ? 1 : 0;
      const size = operatorShape(op.blocks[0]!)[across];
      return op.blocks.every((b) => consistent(b) && operatorShape(b)[across] === size);
    }
  }
}
