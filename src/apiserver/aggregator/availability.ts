/**
 * Upstream's APIService availability checks (kube-aggregator's
 * AvailableConditionController): a local APIService is always available;
 * a remote one when its Service exists, has a ready endpoint on the port,
 * and answers GET /apis/<group>/<version> with a 2xx within 5 s, asked as
 * system:kube-aggregator in system:masters over the front proxy. The answer
 * (an APIResourceList) is kept for discovery.
 */
import { request } from "node:https";
import type { Service } from "kubernetes-types/core/v1.js";
import type { APIResourceList } from "kubernetes-types/meta/v1.js";
import type { ServiceResolver } from "../admission/plugins/webhook/index.js";
import type { APIService } from "../registry/apiregistration/apiservices/types.js";
import { backendTls, identityHeaders, type FrontProxyCredentials } from "./proxy.js";

export interface AvailableCondition { status: "True" | "False"; reason: string; message: string }

export interface AvailabilityDependencies {
  getService(namespace: string, name: string): Promise<Service | undefined>;
  services: ServiceResolver;
  credentials: FrontProxyCredentials;
}

const DISCOVERY_TIMEOUT_MS = 5000;

export const LOCAL_AVAILABLE: AvailableCondition = { status: "True", reason: "Local", message: "Local APIServices are always available" };

export async function checkAvailability(apiService: APIService, deps: AvailabilityDependencies): Promise<{ condition: AvailableCondition; resources?: APIResourceList }> {
  const spec = apiService.spec!;
  const ref = spec.service;
  if (!ref) return { condition: LOCAL_AVAILABLE };
  const namespace = ref.namespace ?? "";
  const name = ref.name ?? "";
  const port = ref.port ?? 443;
  const service = await deps.getService(namespace, name);
  if (!service) return { condition: { status: "False", reason: "ServiceNotFound", message: `service/${name} in "${namespace}" is not present` } };
  const servicePort = (service.spec?.ports ?? []).find((p) => p.port === port);
  if (service.spec?.type !== "ExternalName" && !servicePort) {
    return { condition: { status: "False", reason: "ServicePortError", message: `service/${name} in "${namespace}" is not listening on port ${port}` } };
  }
  let target;
  try {
    target = await deps.services.resolve(namespace, name, port);
  } catch {
    return { condition: { status: "False", reason: "MissingEndpoints", message: `endpoints for service/${name} in "${namespace}" have no addresses with port name "${servicePort?.name ?? ""}"` } };
  }
  const url = `https://${hostPort(target)}/apis/${spec.group}/${spec.version}`;
  const failed = (message: string) => ({ condition: { status: "False" as const, reason: "FailedDiscoveryCheck", message } });
  try {
    const { status, body } = await getFromExtension(target, `/apis/${spec.group}/${spec.version}`, apiService, `${name}.${namespace}.svc`, deps.credentials);
    if (status < 200 || status > 299) return failed(`failing or missing response from ${url}: bad status from ${url}: ${status}`);
    let resources: APIResourceList | undefined;
    try { resources = JSON.parse(body) as APIResourceList; } catch { /* available, without resources to show */ }
    return { condition: { status: "True", reason: "Passed", message: "all checks passed" }, resources };
  } catch (err) {
    return failed(`failing or missing response from ${url}: Get "${url}": ${(err as Error).message}`);
  }
}

export const hostPort = (t: { host: string; port: number }) => `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;

/** A GET of the extension server at target, as system:kube-aggregator over the front proxy's certificate. */
export function getFromExtension(target: { host: string; port: number }, path: string, apiService: APIService, servername: string, credentials: FrontProxyCredentials): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const identity = identityHeaders({ username: "system:kube-aggregator", groups: ["system:masters"] });
    const req = request({
      host: target.host, port: target.port, path, method: "GET", agent: false, timeout: DISCOVERY_TIMEOUT_MS,
      // A header list gets no Host of Node's making.
      headers: ["Host", hostPort(target), "Accept", "application/json", ...identity] as unknown as Record<string, string>,
      cert: credentials.cert, key: credentials.key, ...backendTls(apiService, servername),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.once("timeout", () => req.destroy(new Error("context deadline exceeded")));
    req.once("error", reject);
    req.end();
  });
}
