/**
 * Kubernetes' CEL list library (k8s.io/apiserver/pkg/cel/library/lists.go):
 * isSorted, sum, min, max, indexOf, lastIndexOf on lists of comparable values.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { celEqual } from "../types.js";

type Comparable = bigint | number | string;

const less = (a: Comparable, b: Comparable) => a < b;

function extreme(name: string, pick: (a: Comparable, b: Comparable) => boolean) {
  return (l: Comparable[]) => {
    if (!l.length) throw new Error(`${name} called on empty list`);
    return l.reduce((m, v) => (pick(v, m) ? v : m));
  };
}

export function registerLists(env: Environment): void {
  const min = extreme("min", less);
  const max = extreme("max", (a, b) => less(b, a));
  for (const t of ["int", "double", "string", "bool", "dyn"]) {
    env.registerFunction(`list<${t}>.isSorted(): bool`, (l: Comparable[]) => l.every((v, i) => i === 0 || !less(v, l[i - 1]!)));
  }
  for (const t of ["int", "double", "string", "dyn"]) {
    env.registerFunction(`list<${t}>.min(): ${t}`, min);
    env.registerFunction(`list<${t}>.max(): ${t}`, max);
  }
  env.registerFunction("list<int>.sum(): int", (l: bigint[]) => l.reduce((a, b) => a + b, 0n));
  env.registerFunction("list<double>.sum(): double", (l: number[]) => l.reduce((a, b) => a + b, 0));
  env.registerFunction("list<dyn>.sum(): dyn", (l: Comparable[]) => (l.length ? l.reduce((a, b) => (a as number) + (b as number)) : 0n));
  env.registerFunction("list<dyn>.indexOf(dyn): int", (l: unknown[], x: unknown) => BigInt(l.findIndex((v) => celEqual(v, x))));
  env.registerFunction("list<dyn>.lastIndexOf(dyn): int", (l: unknown[], x: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (celEqual(l[i], x)) return BigInt(i);
    return -1n;
  });
}
