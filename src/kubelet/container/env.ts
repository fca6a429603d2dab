/**
 * A container's environment, resolved as upstream's kubelet does: the
 * Service variables first (so the container's own can override them), then
 * envFrom, then env with valueFrom and $(VAR) references.
 */
import { parseQuantity } from "../../api/quantity.js";
import type { ConfigMap, Container, EnvVar, ResourceFieldSelector, Secret, Service } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import type { ResourceList } from "../node-status.js";
import type { Pod } from "../types.js";

export interface EnvSources {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  services(namespace: string): Kube<Service>[];
}

export class EnvError extends Error {}

const envName = (svc: string) => svc.toUpperCase().replace(/-/g, "_");

/** The Docker-links style variables for every Service with a ClusterIP. */
export function serviceEnv(services: Kube<Service>[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === "None") continue;
    const name = envName(String(svc.metadata.name));
    const ports = svc.spec?.ports ?? [];
    if (!ports.length) continue;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(ports[0]!.port);
    for (const p of ports) if (p.name) env[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
    const first = ports[0]!;
    const proto = (first.protocol ?? "TCP").toLowerCase();
    env[`${name}_PORT`] = `${proto}://${ip}:${first.port}`;
    for (const p of ports) {
      const pr = (p.protocol ?? "TCP");
      const prefix = `${name}_PORT_${p.port}_${pr}`;
      env[prefix] = `${pr.toLowerCase()}://${ip}:${p.port}`;
      env[`${prefix}_PROTO`] = pr.toLowerCase();
      env[`${prefix}_PORT`] = String(p.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

/** Expands $(VAR) from the variables so far; $$ escapes, unknown references stay as written. */
export function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === "$$") return "$";
    return name !== undefined && name in vars ? vars[name]! : m;
  });
}

/**
 * Upstream's expansion.Expand with a lookup of one's own: `$(NAME)` is
 * replaced by lookup(NAME) whatever NAME holds, `$$` is one `$`, and any other
 * `$` (an unclosed `$(`, a trailing `$`) stays as written.
 */
export function expandWith(value: string, lookup: (name: string) => string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== "$" || i + 1 >= value.length) { out += ch; continue; }
    const next = value[i + 1]!;
    if (next === "$") { out += "$"; i++; continue; }
    const close = next === "(" ? value.indexOf(")", i + 2) : -1;
    if (close < 0) { out += ch; continue; }
    out += lookup(value.slice(i + 2, close));
    i = close;
  }
  return out;
}

/**
 * A volume mount's subPathExpr with the container's environment, as
 * upstream's ExpandContainerVolumeMounts: a reference to a variable that is
 * unset or empty is an error naming every such variable, in order.
 */
export function expandSubPathExpr(expr: string, vars: Record<string, string>): string {
  const missing = new Set<string>();
  const out = expandWith(expr, (name) => {
    const v = Object.hasOwn(vars, name) ? vars[name]! : "";
    if (!v) missing.add(name);
    return v;
  });
  if (missing.size) throw new EnvError(`missing value for ${[...missing].sort().join(", ")}`);
  return out;
}

export function fieldRefValue(pod: Pod, fieldPath: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return String(pod.metadata[m[1] as "labels" | "annotations"]?.[m[2]!] ?? "");
  switch (fieldPath) {
    case "metadata.name": return pod.metadata.name ?? "";
    case "metadata.namespace": return pod.metadata.namespace ?? "";
    case "metadata.uid": return String(pod.metadata.uid ?? "");
    case "spec.nodeName": return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName": return pod.spec.serviceAccountName ?? "";
    case "status.hostIP": return pod.status?.hostIP ?? "";
    case "status.hostIPs": return (pod.status?.hostIPs ?? []).map((i) => i.ip).join(",");
    case "status.podIP": return pod.status?.podIP ?? "";
    case "status.podIPs": return (pod.status?.podIPs ?? []).map((i) => i.ip).join(",");
    case "metadata.labels": return formatMap(pod.metadata.labels);
    case "metadata.annotations": return formatMap(pod.metadata.annotations);
    default: throw new EnvError(`unsupported fieldPath: ${fieldPath}`);
  }
}

export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join("\n");
}

/** limits.cpu and friends, in units of the divisor; an unset limit is the node's allocatable. */
export function resourceFieldValue(container: Container, ref: ResourceFieldSelector, nodeAllocatable: ResourceList): string {
  const [kind, resource] = String(ref.resource).split(".") as [string, string];
  const set = kind === "limits" || kind === "requests" ? container.resources?.[kind]?.[resource] : undefined;
  const raw = set ?? (kind === "limits" ? nodeAllocatable[resource] : undefined) ?? "0";
  const divisor = parseQuantity(String(ref.divisor ?? (resource === "cpu" ? "1" : "1")));
  const value = parseQuantity(String(raw)) / (divisor || 1);
  return String(Math.ceil(value));
}

/**
 * podIP and hostIP: the sandbox's and the node's addresses, as upstream's kubelet fills
 * status.podIP(s) and status.hostIP(s) for the environment from what it knows, not from the
 * pod's status in the API, which says them only once the first status write is done.
 */
export function containerEnv(pod: Pod, container: Container, sources: EnvSources, podIP: string, nodeAllocatable: ResourceList, hostIP = ""): { key: string; value: string }[] {
  const ns = pod.metadata.namespace as string;
  const hosts = hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {};
  const viewed: Pod = { ...pod, status: { ...pod.status, podIP, podIPs: podIP ? [{ ip: podIP }] : [], ...hosts } };
  const vars: Record<string, string> = {};
  const services = pod.spec.enableServiceLinks === false
    ? []
    : sources.services(ns);
  const master = ns === "default" ? [] : sources.services("default").filter((s) => s.metadata.name === "kubernetes");
  Object.assign(vars, serviceEnv([...master, ...services]));
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue; // validation requires one of them
    const data = objectData(sources, from.configMapRef ? "configmap" : "secret", ns, ref.name ?? "");
    if (!data) {
      if (ref.optional) continue;
      throw new EnvError(`${from.configMapRef ? "configmap" : "secret"} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) vars[prefix + k] = v;
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom) {
      const v = valueFrom(viewed, container, e, sources, nodeAllocatable);
      if (v !== undefined) vars[e.name] = v;
    } else {
      vars[e.name] = expand(e.value ?? "", vars);
    }
  }
  return Object.entries(vars).map(([key, value]) => ({ key, value }));
}

function valueFrom(pod: Pod, container: Container, e: EnvVar, sources: EnvSources, alloc: ResourceList): string | undefined {
  const ns = pod.metadata.namespace as string;
  const vf = e.valueFrom;
  if (!vf) return undefined;
  if (vf.fieldRef) return fieldRefValue(pod, vf.fieldRef.fieldPath);
  const resourceRef = vf.resourceFieldRef;
  if (resourceRef) {
    const target = resourceRef.containerName ? (pod.spec.containers ?? []).find((c) => c.name === resourceRef.containerName) ?? container : container;
    return resourceFieldValue(target, resourceRef, alloc);
  }
  const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
  if (ref) {
    const isConfigMap = Boolean(vf.configMapKeyRef);
    const data = objectData(sources, isConfigMap ? "configmap" : "secret", ns, ref.name ?? "");
    if (!data || !(ref.key in data)) {
      if (ref.optional) return undefined;
      throw new EnvError(data ? `couldn't find key ${ref.key} in ${isConfigMap ? "ConfigMap" : "Secret"} ${ns}/${ref.name}` : `${isConfigMap ? "configmap" : "secret"} "${ref.name}" not found`);
    }
    return data[ref.key];
  }
  return undefined;
}

/** A ConfigMap's data, or a Secret's decoded; undefined when the object is not there. */
function objectData(sources: EnvSources, kind: "configmap" | "secret", namespace: string, name: string): Record<string, string> | undefined {
  if (kind === "configmap") {
    const cm = sources.configMap(namespace, name);
    return cm && { ...cm.data };
  }
  const secret = sources.secret(namespace, name);
  return secret && decodeSecret(secret);
}

export function decodeSecret(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(String(v), "base64").toString("utf8");
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = String(v);
  return out;
}
