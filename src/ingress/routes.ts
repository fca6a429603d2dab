/**
 * The routing table of the built-in ingress controller, built from the
 * Ingresses it owns with networking.k8s.io/v1 semantics: rules with a host
 * (exact, or a `*.` wildcard covering one label) are tried before rules
 * without one; within a host an Exact path beats a Prefix, and the longest
 * Prefix wins; Prefix matches whole path elements (`/foo` matches `/foo/bar`,
 * not `/foobar`). ImplementationSpecific is treated as Prefix. What matches
 * nothing goes to the oldest Ingress's defaultBackend, if any.
 */
import type { Ingress, IngressBackend } from "kubernetes-types/networking/v1.js";
import type { Kube } from "../client/index.js";

export interface Backend {
  namespace: string;
  service: string;
  /** The Service port, by number or by name. */
  port: number | string;
  /** The Ingress the route came from, for status and events. */
  ingress: string;
}

interface PathRoute { path: string; exact: boolean; backend: Backend }

export interface TlsEntry { hosts: string[]; namespace: string; secretName: string }

export class RouteTable {
  private readonly byHost = new Map<string, PathRoute[]>();
  private readonly wildcards = new Map<string, PathRoute[]>();
  private readonly anyHost: PathRoute[] = [];
  private defaultBackend?: Backend;
  readonly tls: TlsEntry[] = [];

  constructor(ingresses: Kube<Ingress>[]) {
    const oldestFirst = [...ingresses].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp))
      || `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    for (const ing of oldestFirst) {
      const namespace = ing.metadata.namespace ?? "default";
      const ingress = `${namespace}/${ing.metadata.name}`;
      const backendOf = (b: IngressBackend | undefined): Backend | undefined => b?.service?.name
        ? { namespace, service: b.service.name, port: b.service.port?.number ?? b.service.port?.name ?? 80, ingress }
        : undefined;
      this.defaultBackend ??= backendOf(ing.spec?.defaultBackend);
      for (const t of ing.spec?.tls ?? []) if (t.secretName) this.tls.push({ hosts: t.hosts ?? [], namespace, secretName: t.secretName });
      for (const rule of ing.spec?.rules ?? []) {
        const host = (rule.host ?? "").toLowerCase();
        const list = !host ? this.anyHost : host.startsWith("*.") ? listIn(this.wildcards, host.slice(2)) : listIn(this.byHost, host);
        for (const p of rule.http?.paths ?? []) {
          const backend = backendOf(p.backend);
          if (!backend) continue;
          const exact = p.pathType === "Exact";
          const path = exact ? (p.path || "/") : trimSlash(p.path || "/");
          // The oldest Ingress keeps a path that several claim, as ingress-nginx does.
          if (!list.some((r) => r.path === path && r.exact === exact)) list.push({ path, exact, backend });
        }
      }
    }
    for (const list of [this.anyHost, ...this.byHost.values(), ...this.wildcards.values()]) {
      list.sort((a, b) => Number(b.exact) - Number(a.exact) || b.path.length - a.path.length);
    }
  }

  /** The backend for a request's Host header (port stripped here) and path (query stripped here). */
  match(hostHeader: string | undefined, url: string): Backend | undefined {
    const host = (hostHeader ?? "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1").toLowerCase();
    const path = url.split("?")[0] || "/";
    const dot = host.indexOf(".");
    const candidates = [this.byHost.get(host), dot > 0 ? this.wildcards.get(host.slice(dot + 1)) : undefined, this.anyHost];
    for (const list of candidates) {
      const hit = list?.find((r) => (r.exact ? r.path === path : prefixMatches(r.path, path)));
      if (hit) return hit.backend;
    }
    return this.defaultBackend;
  }

  /** The TLS Secret for a server name (SNI), or undefined for the default certificate. */
  secretFor(serverName: string): TlsEntry | undefined {
    const name = serverName.toLowerCase();
    const dot = name.indexOf(".");
    return this.tls.find((t) => t.hosts.some((h) => h.toLowerCase() === name || (h.startsWith("*.") && dot > 0 && h.slice(2).toLowerCase() === name.slice(dot + 1))))
      ?? this.tls.find((t) => t.hosts.length === 0);
  }
}

function listIn(map: Map<string, PathRoute[]>, key: string): PathRoute[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, "") : p);

/** Element-wise prefix: `/foo` covers `/foo`, `/foo/` and `/foo/bar`; `/` covers everything. */
export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === "/") return true;
  return path === prefix || path.startsWith(prefix + "/");
}
