/** Translation of a pod and its containers into the runtime's sandbox and container configurations. */
import { isAbsolute, join } from "node:path";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { milliCPU, parseQuantity } from "../../api/quantity.js";
import { EnvError, expand, expandSubPathExpr } from "../container/env.js";
import type { Container, VolumeMount } from "kubernetes-types/core/v1.js";
import { Labels, type Pod } from "../types.js";
import type { ContainerConfig, Mount, PodSandboxConfig, PortMapping } from "./runtime.js";

export interface DnsSettings { clusterDNS: string[]; clusterDomain: string; hostResolvConf?: string }

/** The pod's resolv.conf, by dnsPolicy as upstream writes it. */
export function podDnsConfig(pod: Pod, dns: DnsSettings): { servers: string[]; searches: string[]; options: string[] } {
  let policy = pod.spec.dnsPolicy ?? "ClusterFirst";
  if (policy === "ClusterFirst" && pod.spec.hostNetwork) policy = "Default";
  const host = hostResolv(dns.hostResolvConf ?? "/etc/resolv.conf");
  let servers: string[] = [], searches: string[] = [], options: string[] = [];
  if (policy === "Default") ({ servers, searches, options } = host);
  else if (policy === "ClusterFirst" || policy === "ClusterFirstWithHostNet") {
    const ns = pod.metadata.namespace;
    servers = dns.clusterDNS;
    searches = [`${ns}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain, ...host.searches];
    options = ["ndots:5"];
  }
  const extra = pod.spec.dnsConfig ?? {};
  servers = [...servers, ...(extra.nameservers ?? [])];
  searches = [...new Set([...searches, ...(extra.searches ?? [])])].slice(0, 32);
  for (const o of extra.options ?? []) {
    if (!o.name) continue; // validation requires one
    options = options.filter((x) => x.split(":")[0] !== o.name);
    options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  }
  return { servers, searches, options };
}

function hostResolv(path: string): { servers: string[]; searches: string[]; options: string[] } {
  const out = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
  let text = "";
  try { text = readFileSync(path, "utf8"); } catch { return out; }
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) out.servers.push(rest[0]);
    else if (key === "search") out.searches = rest;
    else if (key === "options") out.options = rest;
  }
  return out;
}

export function qosClass(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  let requests = 0, limits = 0, guaranteed = true;
  for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
    const r = c.resources ?? {};
    for (const res of ["cpu", "memory"]) {
      if (r.requests?.[res]) requests++;
      if (r.limits?.[res]) limits++;
      if (!r.limits?.[res] || (r.requests?.[res] && r.requests[res] !== r.limits[res])) guaranteed = false;
    }
  }
  if (requests === 0 && limits === 0) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** The parent of all pods' cgroups (upstream's kubepods), with the Burstable and BestEffort classes' cgroups under it. */
export const PODS_CGROUP = "/skiff";

/** The cgroups the kubelet's pods live under: the pods' root, then the QoS classes' that have one (Guaranteed pods sit in the root). */
export const QOS_CGROUPS = [PODS_CGROUP, `${PODS_CGROUP}/burstable`, `${PODS_CGROUP}/besteffort`];

/** The pod's cgroup: pods of a QoS class share a parent cgroup, as upstream's kubepods hierarchy. */
export function podCgroupParent(pod: Pod): string {
  const qos = qosClass(pod).toLowerCase();
  return `${PODS_CGROUP}/${qos === "guaranteed" ? "" : qos + "/"}pod${pod.metadata.uid}`;
}

export function sandboxConfig(pod: Pod, attempt: number, logsDir: string, dns: DnsSettings): PodSandboxConfig {
  const m = pod.metadata;
  const portMappings: PortMapping[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) portMappings.push({ protocol: p.protocol === "UDP" || p.protocol === "SCTP" ? p.protocol : "TCP", containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? "" });
    }
  }
  const hostname = (pod.spec.hostname ?? m.name ?? "").slice(0, 63).replace(/[-.]+$/, "");
  return {
    metadata: { name: m.name!, uid: String(m.uid), namespace: m.namespace!, attempt },
    hostname: pod.spec.hostNetwork ? "" : hostname,
    logDirectory: join(logsDir, `${m.namespace}_${m.name}_${m.uid}`),
    dnsConfig: podDnsConfig(pod, dns),
    portMappings,
    labels: { [Labels.podName]: m.name!, [Labels.podNamespace]: m.namespace!, [Labels.podUid]: String(m.uid) },
    annotations: {},
    linux: {
      cgroupParent: podCgroupParent(pod),
      securityContext: {
        namespaceOptions: { network: pod.spec.hostNetwork ? "NODE" : "POD", pid: pod.spec.hostPID ? "NODE" : pod.spec.shareProcessNamespace ? "POD" : "CONTAINER", ipc: pod.spec.hostIPC ? "NODE" : "POD" },
      },
      sysctls: Object.fromEntries((pod.spec.securityContext?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

/** CPU shares from the request, a CFS quota from the limit, the memory limit: upstream's conversion. */
export function linuxResources(container: Container): NonNullable<NonNullable<ContainerConfig["linux"]>["resources"]> {
  const r = container.resources ?? {};
  const out: NonNullable<NonNullable<ContainerConfig["linux"]>["resources"]> = {};
  const reqCpu = r.requests?.cpu ?? r.limits?.cpu;
  out.cpuShares = reqCpu ? Math.max(2, Math.floor((milliCPU(reqCpu) * 1024) / 1000)) : 2;
  if (r.limits?.cpu) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.max(1000, Math.floor((milliCPU(r.limits.cpu) * 100_000) / 1000));
  }
  if (r.limits?.memory) out.memoryLimitInBytes = Math.floor(parseQuantity(r.limits.memory));
  return out;
}

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  kind: "init" | "regular";
  attempt: number;
  env: { key: string; value: string }[];
  volumePaths: Map<string, string>;
  etcHosts?: string;
  terminationMessageFile: string;
}

/**
 * The path inside its volume that a mount binds: subPath, or subPathExpr
 * expanded from the container's environment, checked again after expansion as
 * upstream's makeMounts checks it. Throws EnvError (the container then waits
 * in CreateContainerConfigError) with upstream's words.
 */
export function volumeSubPath(vm: VolumeMount, vars: Record<string, string>): string {
  const sub = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, vars) : vm.subPath ?? "";
  if (!sub) return "";
  if (isAbsolute(sub)) throw new EnvError(`error SubPath \`${sub}\` must not be an absolute path`);
  if (sub.split("/").includes("..")) throw new EnvError(`unable to provision SubPath \`${sub}\`: must not contain '..'`);
  return sub;
}

/** Throws EnvError when the container's configuration cannot be made (see volumeSubPath). */
export function containerConfig(input: ContainerConfigInput): ContainerConfig {
  const { pod, container: c, attempt, env } = input;
  const vars = Object.fromEntries(env.map((e) => [e.key, e.value]));
  const expandAll = (xs: string[] | undefined) => xs?.map((x) => expand(x, vars));
  const mounts: Mount[] = [];
  // Upstream mounts the API's data (configMap, secret, downwardAPI, projected) read-only whatever the mount says.
  const apiData = new Set((pod.spec.volumes ?? []).filter((v) => v.configMap || v.secret || v.downwardAPI || v.projected).map((v) => v.name));
  for (const vm of c.volumeMounts ?? []) {
    const host = input.volumePaths.get(vm.name);
    if (!host) throw new Error(`volume "${vm.name}" is not set up`);
    const sub = volumeSubPath(vm, vars);
    let hostPath = host;
    if (sub) {
      hostPath = join(host, sub);
      // Made now, as upstream's kubelet does, so that the runtime binds a directory rather than failing on (or creating) a missing one.
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
    }
    mounts.push({
      containerPath: vm.mountPath, hostPath, readonly: Boolean(vm.readOnly) || apiData.has(vm.name),
      propagation: vm.mountPropagation === "Bidirectional" ? "PROPAGATION_BIDIRECTIONAL" : vm.mountPropagation === "HostToContainer" ? "PROPAGATION_HOST_TO_CONTAINER" : "PROPAGATION_PRIVATE",
    });
  }
  const mounted = new Set(mounts.map((m) => m.containerPath));
  if (input.etcHosts && !mounted.has("/etc/hosts")) mounts.push({ containerPath: "/etc/hosts", hostPath: input.etcHosts });
  const tmp = c.terminationMessagePath ?? "/dev/termination-log";
  if (tmp && !mounted.has(tmp)) mounts.push({ containerPath: tmp, hostPath: input.terminationMessageFile });
  const sc = { ...(pod.spec.securityContext ?? {}), ...(c.securityContext ?? {}) };
  return {
    metadata: { name: c.name, attempt },
    image: { image: c.image ?? "" },
    command: expandAll(c.command),
    args: expandAll(c.args),
    workingDir: c.workingDir ?? "",
    envs: env,
    mounts,
    labels: { [Labels.podName]: pod.metadata.name!, [Labels.podNamespace]: pod.metadata.namespace!, [Labels.podUid]: String(pod.metadata.uid), [Labels.containerName]: c.name },
    annotations: { [Labels.restartCount]: String(attempt), [Labels.terminationMessagePath]: tmp, [Labels.containerKind]: input.kind },
    logPath: join(c.name, `${attempt}.log`),
    stdin: Boolean(c.stdin),
    stdinOnce: Boolean(c.stdinOnce),
    tty: Boolean(c.tty),
    linux: {
      resources: linuxResources(c),
      securityContext: {
        privileged: Boolean(sc.privileged),
        ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: supplementalGroups(pod),
        readonlyRootfs: Boolean(sc.readOnlyRootFilesystem),
        capabilities: { addCapabilities: sc.capabilities?.add ?? [], dropCapabilities: sc.capabilities?.drop ?? [] },
        namespaceOptions: { network: pod.spec.hostNetwork ? "NODE" : "POD", pid: pod.spec.hostPID ? "NODE" : pod.spec.shareProcessNamespace ? "POD" : "CONTAINER", ipc: pod.spec.hostIPC ? "NODE" : "POD" },
        noNewPrivs: sc.allowPrivilegeEscalation === false,
      },
    },
  };
}

/**
 * The groups a container's processes get besides their primary one, as
 * upstream's kubelet gives them: the pod's fsGroup (so its volumes, owned by
 * that group, are readable by a non-root user) and its supplementalGroups.
 */
export function supplementalGroups(pod: Pod): number[] {
  const psc = pod.spec.securityContext ?? {};
  const groups = [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])];
  return [...new Set(groups)];
}

/** The pod's /etc/hosts, as upstream's kubelet writes it. */
export function etcHosts(pod: Pod, podIP: string, clusterDomain: string): string {
  const lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"];
  const hostname = pod.spec.hostname ?? pod.metadata.name;
  if (podIP) {
    lines.push(pod.spec.subdomain
      ? `${podIP}\t${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}`
      : `${podIP}\t${hostname}`);
  }
  for (const ha of pod.spec.hostAliases ?? []) lines.push(`${ha.ip}\t${(ha.hostnames ?? []).join("\t")}`);
  return lines.join("\n") + "\n";
}
