/**
 * What Kubernetes' environment has of cel-go's strings and sets extensions
 * beyond the CEL library's own (which has lowerAscii, upperAscii, split,
 * substring, trim, join, indexOf, lastIndexOf): charAt, replace, reverse;
 * sets.contains, sets.equivalent, sets.intersects.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { celEqual } from "../types.js";

class SetsNamespace {}

export function registerStrings(env: Environment): void {
  env.registerFunction("string.charAt(int): string", (s: string, i: bigint) => {
    const chars = [...s];
    if (i < 0n || i > BigInt(chars.length)) throw new Error(`index out of range: ${i}`);
    return chars[Number(i)] ?? "";
  });
  env.registerFunction("string.replace(string, string): string", (s: string, from: string, to: string) => s.split(from).join(to));
  env.registerFunction("string.replace(string, string, int): string", (s: string, from: string, to: string, n: bigint) => {
    if (n < 0n) return s.split(from).join(to);
    const parts = s.split(from);
    const k = Number(n);
    return parts.length - 1 <= k ? parts.join(to) : parts.slice(0, k + 1).join(to) + from + parts.slice(k + 1).join(from);
  });
  env.registerFunction("string.reverse(): string", (s: string) => [...s].reverse().join(""));

  env.registerType("SetsNamespace", SetsNamespace);
  env.registerConstant("sets", "SetsNamespace", new SetsNamespace());
  const has = (l: unknown[], x: unknown) => l.some((v) => celEqual(v, x));
  env.registerFunction("SetsNamespace.contains(list<dyn>, list<dyn>): bool", (_: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)));
  env.registerFunction("SetsNamespace.equivalent(list<dyn>, list<dyn>): bool", (_: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)));
  env.registerFunction("SetsNamespace.intersects(list<dyn>, list<dyn>): bool", (_: SetsNamespace, a: unknown[], b: unknown[]) => b.some((x) => has(a, x)));
}
