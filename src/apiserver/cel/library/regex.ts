/**
 * Kubernetes' CEL regex library (library/regex.go): find and findAll, the
 * first or all (up to a limit) substrings matching a pattern; and CEL's own
 * matches on RE2 (compile.ts renames the standard matches, which the CEL
 * library runs on a backtracking RegExp, to RE2_MATCHES).
 */
import type { Environment } from "@marcbachmann/cel-js";
import { positionsRegex, re2 } from "./regex-syntax.js";

/** The name compile.ts gives matches calls: as long as `matches`, so that error columns stay where the user wrote them. */
export const RE2_MATCHES = "__re2__";

export function registerRegex(env: Environment): void {
  const matches = (s: string, re: string) => re2(re).test(s);
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, matches);
  env.registerFunction(`${RE2_MATCHES}(string, string): bool`, matches);
  env.registerFunction("string.find(string): string", (s: string, re: string) => (re2(re).test(s) ? positionsRegex(re).exec(s)?.[0] ?? "" : ""));
  const findAll = (s: string, re: string, limit: bigint) => {
    const out: string[] = [];
    if (limit === 0n || !re2(re).test(s)) return out;
    for (const m of s.matchAll(positionsRegex(re, "g"))) {
      out.push(m[0]);
      if (limit > 0n && BigInt(out.length) >= limit) break;
    }
    return out;
  };
  env.registerFunction("string.findAll(string): list<string>", (s: string, re: string) => findAll(s, re, -1n));
  env.registerFunction("string.findAll(string, int): list<string>", findAll);
}
