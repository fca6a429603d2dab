/** Reads the parts of a kubeconfig a client needs: server, CA, client certificate or token. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export interface ClientConfig {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }
type Obj = Record<string, string | boolean | undefined>;

const decode = (b64: unknown) => (typeof b64 === "string" ? Buffer.from(b64, "base64").toString("utf8") : undefined);
const file = (p: unknown) => (typeof p === "string" ? readFileSync(p, "utf8") : undefined);

export function loadKubeconfig(path: string, context?: string): ClientConfig {
  const doc = parse(readFileSync(path, "utf8")) as {
    clusters?: Named<Obj>[]; users?: Named<Obj>[]; contexts?: Named<Obj>[]; "current-context"?: string;
  };
  const ctxName = context ?? doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${path}: context ${JSON.stringify(ctxName)} not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  return {
    server: String(cluster.server),
    ca: decode(cluster["certificate-authority-data"]) ?? file(cluster["certificate-authority"]),
    insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] === true,
    cert: decode(user["client-certificate-data"]) ?? file(user["client-certificate"]),
    key: decode(user["client-key-data"]) ?? file(user["client-key"]),
    token: typeof user.token === "string" ? user.token : undefined,
  };
}
