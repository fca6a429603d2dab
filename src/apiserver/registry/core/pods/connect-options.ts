/**
 * The object a CONNECT request to pods/exec, pods/attach or pods/portforward
 * carries through admission: upstream decodes the request's query into
 * PodExecOptions, PodAttachOptions or PodPortForwardOptions (core/v1) and
 * hands that to the admission chain, so a webhook or policy sees what is
 * about to run. kubernetes-types has no types for these (they are query
 * parameters, not stored objects), hence their own here.
 */

interface ConnectOptionsBase { apiVersion: "v1"; kind: string }

export interface PodExecOptions extends ConnectOptionsBase {
  kind: "PodExecOptions";
  stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean;
  container?: string;
  command: string[];
}

export interface PodAttachOptions extends ConnectOptionsBase {
  kind: "PodAttachOptions";
  stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean;
  container?: string;
}

export interface PodPortForwardOptions extends ConnectOptionsBase {
  kind: "PodPortForwardOptions";
  ports?: number[];
}

export type PodConnectOptions = PodExecOptions | PodAttachOptions | PodPortForwardOptions;

/** As the query decoder reads a bool: absent is unset; only "0" and "false" (any case) are false. */
function flag(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return !(v === "0" || v.toLowerCase() === "false");
}

function streams(query: URLSearchParams): Pick<PodExecOptions, "stdin" | "stdout" | "stderr" | "tty" | "container"> {
  const out: Pick<PodExecOptions, "stdin" | "stdout" | "stderr" | "tty" | "container"> = {};
  for (const name of ["stdin", "stdout", "stderr", "tty"] as const) {
    const v = flag(query, name);
    if (v !== undefined) out[name] = v;
  }
  const container = query.get("container");
  if (container) out.container = container;
  return out;
}

export function podConnectOptions(subresource: "exec" | "attach" | "portforward", query: URLSearchParams): PodConnectOptions {
  if (subresource === "exec") return { apiVersion: "v1", kind: "PodExecOptions", ...streams(query), command: query.getAll("command") };
  if (subresource === "attach") return { apiVersion: "v1", kind: "PodAttachOptions", ...streams(query) };
  // Ports that are not numbers are the kubelet's to refuse; admission sees the ones that are.
  const ports = query.getAll("ports").flatMap((p) => p.split(",")).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return { apiVersion: "v1", kind: "PodPortForwardOptions", ...(ports.length ? { ports } : {}) };
}
