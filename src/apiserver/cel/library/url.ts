/**
 * Kubernetes' CEL URL library (library/urls.go): url(), isURL and the parts
 * of an absolute URL.
 */
import type { Environment } from "@marcbachmann/cel-js";

/** A parsed URL as a CEL value. */
export class CelURL {
  constructor(readonly u: URL) {}
}

function parse(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

export function registerURL(env: Environment): void {
  env.registerType("URL", CelURL);
  env.registerFunction("url(string): URL", (s: string) => {
    const u = parse(s);
    if (!u) throw new Error(`URL parse error during conversion from string: parse "${s}": invalid URI for request`);
    return new CelURL(u);
  });
  env.registerFunction("isURL(string): bool", (s: string) => parse(s) !== undefined);
  env.registerFunction("URL.getScheme(): string", (u: CelURL) => u.u.protocol.replace(/:$/, ""));
  env.registerFunction("URL.getHost(): string", (u: CelURL) => u.u.host);
  env.registerFunction("URL.getHostname(): string", (u: CelURL) => u.u.hostname.replace(/^\[(.*)\]$/, "$1"));
  env.registerFunction("URL.getPort(): string", (u: CelURL) => u.u.port);
  env.registerFunction("URL.getEscapedPath(): string", (u: CelURL) => u.u.pathname);
  env.registerFunction("URL.getQuery(): map<string, list<string>>", (u: CelURL) => {
    const out = new Map<string, string[]>();
    for (const [k, v] of u.u.searchParams) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  });
}
