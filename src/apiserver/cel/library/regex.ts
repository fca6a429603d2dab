/**
 * Kubernetes' CEL regex library (library/regex.go): find and findAll, the
 * first or all (up to a limit) substrings matching a pattern.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { compileRegex } from "./regex-syntax.js";

export function registerRegex(env: Environment): void {
  env.registerFunction("string.find(string): string", (s: string, re: string) => compileRegex(re).exec(s)?.[0] ?? "");
  const findAll = (s: string, re: string, limit: bigint) => {
    const out: string[] = [];
    if (limit === 0n) return out;
    const g = compileRegex(re, "g");
    for (const m of s.matchAll(g)) {
      out.push(m[0]);
      if (limit > 0n && BigInt(out.length) >= limit) break;
    }
    return out;
  };
  env.registerFunction("string.findAll(string): list<string>", (s: string, re: string) => findAll(s, re, -1n));
  env.registerFunction("string.findAll(string, int): list<string>", findAll);
}
