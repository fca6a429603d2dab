/**
 * Server-side printing: the columns `kubectl get` shows for each kind, computed
 * here as upstream's printers do (pkg/printers/internalversion).
 */
import { formatLabelSelector } from "./selectors.js";
import type { ResourceInfo } from "./resources.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON inside this module

export interface TableColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean | null;

interface Printer {
  columns: [name: string, type?: TableColumnDefinition["type"], priority?: number][];
  row(o: Obj, now: number): Cell[];
}

/** Upstream's HumanDuration: 5s, 3m20s, 10m, 5h3m, 2d, 3y20d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) return `${y}y${Math.floor(h / 24) % 365}d`;
  return `${y}y`;
}

const age = (ts: string | undefined, now: number) => (ts ? humanDuration(now - Date.parse(ts)) : "<unknown>");
const none = (v: unknown) => (v === undefined || v === null || v === "" ? "<none>" : String(v));
const containers = (spec: Obj | undefined) => (spec?.containers ?? []).map((c: Obj) => c.name).join(",");
const images = (spec: Obj | undefined) => (spec?.containers ?? []).map((c: Obj) => c.image).join(",");
const selectorText = (sel: Obj | undefined) => none(formatLabelSelector(sel));
const mapSelector = (sel: Record<string, string> | undefined) =>
  none(Object.entries(sel ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(","));

function podStatus(pod: Obj): { ready: string; status: string; restarts: string } {
  const statuses: Obj[] = pod.status?.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason: string = pod.status?.reason || pod.status?.phase || "Pending";
  let initializing = false;
  for (const [i, c] of (pod.status?.initContainerStatuses ?? []).entries()) {
    restarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0) continue;
    initializing = true;
    const initTotal = (pod.spec?.initContainers ?? []).length;
    if (c.state?.terminated) reason = c.state.terminated.reason ? `Init:${c.state.terminated.reason}` : `Init:ExitCode:${c.state.terminated.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== "PodInitializing") reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...statuses].reverse()) {
      restarts += c.restartCount ?? 0;
      const t = c.lastState?.terminated?.finishedAt;
      if (t) lastRestart = Math.max(lastRestart, Date.parse(t));
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) { hasRunning = true; readyCount++; }
    }
    if (reason === "Completed" && hasRunning) reason = (pod.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True") ? "Running" : "NotReady";
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === "NodeLost" ? "Unknown" : "Terminating";
  const restartText = lastRestart && restarts ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartText };
}

function servicePorts(spec: Obj | undefined): string {
  const ports: Obj[] = spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}` : `${p.port}/${p.protocol ?? "TCP"}`)).join(",");
}

function externalIP(svc: Obj): string {
  const type = svc.spec?.type;
  const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip || i.hostname);
  const ext: string[] = svc.spec?.externalIPs ?? [];
  if (type === "ExternalName") return svc.spec?.externalName ?? "<none>";
  if (type === "LoadBalancer") return [...lb, ...ext].join(",") || "<pending>";
  return ext.length ? ext.join(",") : "<none>";
}

function nodeStatus(node: Obj): string {
  const ready = (node.status?.conditions ?? []).find((c: Obj) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function nodeRoles(node: Obj): string {
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(",") : "<none>";
}

function jobStatus(job: Obj): string {
  const conds: Obj[] = job.status?.conditions ?? [];
  const has = (t: string) => conds.some((c) => c.type === t && c.status === "True");
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (has("FailureTarget")) return "FailureTarget";
  if (job.spec?.suspend) return "Suspended";
  return "Running";
}

function jobDuration(job: Obj, now: number): string {
  const start = job.status?.startTime;
  if (!start) return "";
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };
  return (modes ?? []).map((m) => short[m] ?? m).join(",");
}

const printers: Record<string, Printer> = {
  Pod: {
    columns: [["Ready"], ["Status"], ["Restarts", "string"], ["Age"], ["IP", "string", 1], ["Node", "string", 1], ["Nominated Node", "string", 1], ["Readiness Gates", "string", 1]],
    row(o, now) {
      const s = podStatus(o);
      const gates: Obj[] = o.spec?.readinessGates ?? [];
      const gateText = gates.length
        ? `${gates.filter((g) => (o.status?.conditions ?? []).some((c: Obj) => c.type === g.conditionType && c.status === "True")).length}/${gates.length}`
        : "<none>";
      return [s.ready, s.status, s.restarts, age(o.metadata.creationTimestamp, now), none(o.status?.podIP), none(o.spec?.nodeName), none(o.status?.nominatedNodeName), gateText];
    },
  },
  Deployment: {
    columns: [["Ready"], ["Up-to-date", "integer"], ["Available", "integer"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)],
  },
  ReplicaSet: {
    columns: [["Desired", "integer"], ["Current", "integer"], ["Ready", "integer"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => [o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)],
  },
  ReplicationController: {
    columns: [["Desired", "integer"], ["Current", "integer"], ["Ready", "integer"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => [o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), mapSelector(o.spec?.selector)],
  },
  StatefulSet: {
    columns: [["Ready"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1]],
    row: (o, now) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec)],
  },
  DaemonSet: {
    columns: [["Desired", "integer"], ["Current", "integer"], ["Ready", "integer"], ["Up-to-date", "integer"], ["Available", "integer"], ["Node Selector"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => [o.status?.desiredNumberScheduled ?? 0, o.status?.currentNumberScheduled ?? 0, o.status?.numberReady ?? 0, o.status?.updatedNumberScheduled ?? 0, o.status?.numberAvailable ?? 0, mapSelector(o.spec?.template?.spec?.nodeSelector), age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)],
  },
  Job: {
    columns: [["Status"], ["Completions"], ["Duration"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => {
      const completions = o.spec?.completions !== undefined ? `${o.status?.succeeded ?? 0}/${o.spec.completions}` : `${o.status?.succeeded ?? 0}/1 of ${o.spec?.parallelism ?? 1}`;
      return [jobStatus(o), completions, jobDuration(o, now), age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)];
    },
  },
  CronJob: {
    columns: [["Schedule"], ["Timezone"], ["Suspend"], ["Active", "integer"], ["Last Schedule"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    row: (o, now) => [o.spec?.schedule ?? "", none(o.spec?.timeZone), o.spec?.suspend ? "True" : "False", (o.status?.active ?? []).length, o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : "<none>", age(o.metadata.creationTimestamp, now), containers(o.spec?.jobTemplate?.spec?.template?.spec), images(o.spec?.jobTemplate?.spec?.template?.spec), selectorText(o.spec?.jobTemplate?.spec?.selector)],
  },
  Service: {
    columns: [["Type"], ["Cluster-IP"], ["External-IP"], ["Port(s)"], ["Age"], ["Selector", "string", 1]],
    row: (o, now) => [o.spec?.type ?? "ClusterIP", none(o.spec?.clusterIP), externalIP(o), servicePorts(o.spec), age(o.metadata.creationTimestamp, now), mapSelector(o.spec?.selector)],
  },
  Node: {
    columns: [["Status"], ["Roles"], ["Age"], ["Version"], ["Internal-IP", "string", 1], ["External-IP", "string", 1], ["OS-Image", "string", 1], ["Kernel-Version", "string", 1], ["Container-Runtime", "string", 1]],
    row: (o, now) => {
      const addr = (t: string) => none((o.status?.addresses ?? []).find((a: Obj) => a.type === t)?.address);
      const info = o.status?.nodeInfo ?? {};
      return [nodeStatus(o), nodeRoles(o), age(o.metadata.creationTimestamp, now), info.kubeletVersion ?? "", addr("InternalIP"), addr("ExternalIP"), none(info.osImage), none(info.kernelVersion), none(info.containerRuntimeVersion)];
    },
  },
  Namespace: { columns: [["Status"], ["Age"]], row: (o, now) => [o.status?.phase ?? "Active", age(o.metadata.creationTimestamp, now)] },
  ConfigMap: { columns: [["Data", "integer"], ["Age"]], row: (o, now) => [Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)] },
  Secret: { columns: [["Type"], ["Data", "integer"], ["Age"]], row: (o, now) => [o.type ?? "Opaque", Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)] },
  ServiceAccount: { columns: [["Secrets", "integer"], ["Age"]], row: (o, now) => [(o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)] },
  Endpoints: {
    columns: [["Endpoints"], ["Age"]],
    row: (o, now) => {
      const eps: string[] = [];
      for (const s of o.subsets ?? []) for (const a of s.addresses ?? []) for (const p of s.ports ?? [{}]) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
      const text = eps.length > 3 ? `${eps.slice(0, 3).join(",")} + ${eps.length - 3} more...` : eps.join(",");
      return [text || "<none>", age(o.metadata.creationTimestamp, now)];
    },
  },
  EndpointSlice: {
    columns: [["AddressType"], ["Ports"], ["Endpoints"], ["Age"]],
    row: (o, now) => {
      const ports = (o.ports ?? []).map((p: Obj) => p.port).join(",") || "<unset>";
      const addrs = (o.endpoints ?? []).flatMap((e: Obj) => e.addresses ?? []);
      const text = addrs.length > 3 ? `${addrs.slice(0, 3).join(",")} + ${addrs.length - 3} more...` : addrs.join(",");
      return [o.addressType ?? "", ports, text || "<unset>", age(o.metadata.creationTimestamp, now)];
    },
  },
  Event: {
    columns: [["Last Seen"], ["Type"], ["Reason"], ["Object"], ["Subobject", "string", 1], ["Source", "string", 1], ["Message"], ["First Seen", "string", 1], ["Count", "integer", 1], ["Name", "string", 1]],
    row: (o, now) => {
      const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      const first = o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      const io = o.involvedObject ?? o.regarding ?? {};
      return [age(last, now), o.type ?? "", o.reason ?? "", `${String(io.kind ?? "").toLowerCase()}/${io.name ?? ""}`, io.fieldPath ?? "", [o.source?.component, o.source?.host].filter(Boolean).join(", "), o.message ?? o.note ?? "", age(first, now), o.count ?? 1, o.metadata.name];
    },
  },
  Lease: { columns: [["Holder"], ["Age"]], row: (o, now) => [o.spec?.holderIdentity ?? "", age(o.metadata.creationTimestamp, now)] },
  PersistentVolumeClaim: {
    columns: [["Status"], ["Volume"], ["Capacity"], ["Access Modes"], ["StorageClass"], ["VolumeAttributesClass"], ["Age"], ["VolumeMode", "string", 1]],
    row: (o, now) => [o.metadata.deletionTimestamp ? "Terminating" : o.status?.phase ?? "Pending", o.spec?.volumeName ?? "", o.status?.capacity?.storage ?? "", accessModes(o.status?.accessModes), o.spec?.storageClassName ?? "", none(o.spec?.volumeAttributesClassName), age(o.metadata.creationTimestamp, now), o.spec?.volumeMode ?? "Filesystem"],
  },
  PersistentVolume: {
    columns: [["Capacity"], ["Access Modes"], ["Reclaim Policy"], ["Status"], ["Claim"], ["StorageClass"], ["VolumeAttributesClass"], ["Reason"], ["Age"], ["VolumeMode", "string", 1]],
    row: (o, now) => {
      const claim = o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : "";
      return [o.spec?.capacity?.storage ?? "", accessModes(o.spec?.accessModes), o.spec?.persistentVolumeReclaimPolicy ?? "", o.metadata.deletionTimestamp ? "Terminating" : o.status?.phase ?? "Pending", claim, o.spec?.storageClassName ?? "", none(o.spec?.volumeAttributesClassName), o.status?.reason ?? "", age(o.metadata.creationTimestamp, now), o.spec?.volumeMode ?? "Filesystem"];
    },
  },
  Ingress: {
    columns: [["Class"], ["Hosts"], ["Address"], ["Ports"], ["Age"]],
    row: (o, now) => {
      const hosts = (o.spec?.rules ?? []).map((r: Obj) => r.host).filter(Boolean);
      const addr = (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip || i.hostname).join(",");
      return [none(o.spec?.ingressClassName), hosts.length ? hosts.join(",") : "*", addr, o.spec?.tls?.length ? "80, 443" : "80", age(o.metadata.creationTimestamp, now)];
    },
  },
  IngressClass: { columns: [["Controller"], ["Parameters"], ["Age"]], row: (o, now) => [o.spec?.controller ?? "", none(o.spec?.parameters && `${o.spec.parameters.kind}/${o.spec.parameters.name}`), age(o.metadata.creationTimestamp, now)] },
  NetworkPolicy: { columns: [["Pod-Selector"], ["Age"]], row: (o, now) => [formatLabelSelector(o.spec?.podSelector) || "<none>", age(o.metadata.creationTimestamp, now)] },
  StorageClass: {
    columns: [["Provisioner"], ["ReclaimPolicy"], ["VolumeBindingMode"], ["AllowVolumeExpansion", "string"], ["Age"]],
    row: (o, now) => {
      const isDefault = o.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true";
      return [o.provisioner ?? "", o.reclaimPolicy ?? "Delete", o.volumeBindingMode ?? "Immediate", String(Boolean(o.allowVolumeExpansion)), age(o.metadata.creationTimestamp, now), isDefault];
    },
  },
  PodDisruptionBudget: {
    columns: [["Min Available"], ["Max Unavailable"], ["Allowed Disruptions", "integer"], ["Age"]],
    row: (o, now) => [o.spec?.minAvailable !== undefined ? String(o.spec.minAvailable) : "N/A", o.spec?.maxUnavailable !== undefined ? String(o.spec.maxUnavailable) : "N/A", o.status?.disruptionsAllowed ?? 0, age(o.metadata.creationTimestamp, now)],
  },
  HorizontalPodAutoscaler: {
    columns: [["Reference"], ["Targets"], ["MinPods", "integer"], ["MaxPods", "integer"], ["Replicas", "integer"], ["Age"]],
    row: (o, now) => {
      const ref = o.spec?.scaleTargetRef ?? {};
      const targets = o.spec?.targetCPUUtilizationPercentage !== undefined
        ? `cpu: ${o.status?.currentCPUUtilizationPercentage ?? "<unknown>"}${o.status?.currentCPUUtilizationPercentage !== undefined ? "%" : ""}/${o.spec.targetCPUUtilizationPercentage}%`
        : (o.spec?.metrics ?? []).map((m: Obj) => `${m.resource?.name ?? m.type}: <unknown>/${m.resource?.target?.averageUtilization ?? "?"}%`).join(", ") || "<none>";
      return [`${ref.kind}/${ref.name}`, targets, o.spec?.minReplicas ?? 1, o.spec?.maxReplicas ?? 0, o.status?.currentReplicas ?? 0, age(o.metadata.creationTimestamp, now)];
    },
  },
  ResourceQuota: {
    columns: [["Age"], ["Request"], ["Limit"]],
    row: (o, now) => {
      const hard: Record<string, string> = o.status?.hard ?? o.spec?.hard ?? {};
      const used: Record<string, string> = o.status?.used ?? {};
      const fmt = (names: string[]) => names.sort().map((n) => `${n}: ${used[n] ?? "0"}/${hard[n]}`).join(", ");
      const names = Object.keys(hard);
      return [age(o.metadata.creationTimestamp, now), fmt(names.filter((n) => !n.startsWith("limits."))), fmt(names.filter((n) => n.startsWith("limits.")))];
    },
  },
  CertificateSigningRequest: {
    columns: [["Age"], ["SignerName", "string"], ["Requestor", "string"], ["RequestedDuration", "string"], ["Condition", "string"]],
    row: (o, now) => [age(o.metadata.creationTimestamp, now), o.spec?.signerName ?? "", o.spec?.username ?? "",
      o.spec?.expirationSeconds ? `${Math.round(o.spec.expirationSeconds / 3600)}h` : "<none>", csrCondition(o)],
  },
  PriorityClass: { columns: [["Value", "integer"], ["Global-Default", "boolean"], ["Age"], ["PreemptionPolicy", "string"]], row: (o, now) => [o.value ?? 0, Boolean(o.globalDefault), age(o.metadata.creationTimestamp, now), o.preemptionPolicy ?? "PreemptLowerPriority"] },
  ControllerRevision: { columns: [["Controller"], ["Revision", "integer"], ["Age"]], row: (o, now) => { const c = (o.metadata.ownerReferences ?? []).find((r: Obj) => r.controller); return [c ? `${String(c.apiVersion).split("/")[0]}/${c.name}`.replace(/^v1\//, "") : "<none>", o.revision ?? 0, age(o.metadata.creationTimestamp, now)]; } },
  CustomResourceDefinition: { columns: [["Created At", "date"]], row: (o) => [o.metadata.creationTimestamp] },
  LimitRange: { columns: [["Created At", "date"]], row: (o) => [o.metadata.creationTimestamp] },
  RuntimeClass: { columns: [["Handler"], ["Age"]], row: (o, now) => [o.handler ?? "", age(o.metadata.creationTimestamp, now)] },
  Role: { columns: [["Created At", "string"]], row: (o) => [o.metadata.creationTimestamp] },
  ClusterRole: { columns: [["Created At", "string"]], row: (o) => [o.metadata.creationTimestamp] },
  RoleBinding: { columns: [["Role"], ["Age"], ["Users", "string", 1], ["Groups", "string", 1], ["ServiceAccounts", "string", 1]], row: (o, now) => bindingRow(o, now) },
  ClusterRoleBinding: { columns: [["Role"], ["Age"], ["Users", "string", 1], ["Groups", "string", 1], ["ServiceAccounts", "string", 1]], row: (o, now) => bindingRow(o, now) },
};
// StorageClass shows "(default)" after the name; the row function returns a flag consumed below.

function bindingRow(o: Obj, now: number): Cell[] {
  const subjects: Obj[] = o.subjects ?? [];
  const of = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => (kind === "ServiceAccount" ? `${s.namespace}/${s.name}` : s.name)).join(", ");
  return [`${o.roleRef?.kind}/${o.roleRef?.name}`, age(o.metadata.creationTimestamp, now), of("User"), of("Group"), of("ServiceAccount")];
}

const descriptions: Record<string, string> = {
  Name: "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  Age: "CreationTimestamp is a timestamp representing the server time when this object was created.",
};

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: { cells: Cell[]; object: unknown }[];
}

function getPath(obj: unknown, jsonPath: string): Cell {
  let cur: unknown = obj;
  for (const part of jsonPath.replace(/^\./, "").split(".")) {
    if (!part) continue;
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, unknown>)[m[1]!];
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  if (cur === undefined || cur === null) return null;
  return typeof cur === "object" ? JSON.stringify(cur) : (cur as Cell);
}

/** Column definitions and a row function for one resource, custom ones included. */
export function tablePrinter(info: ResourceInfo): { columns: TableColumnDefinition[]; row: (o: Obj, now: number) => Cell[] } {
  const col = (name: string, type: TableColumnDefinition["type"] = "string", priority = 0, format = ""): TableColumnDefinition =>
    ({ name, type, format, description: descriptions[name] ?? name, priority });
  const nameCol = col("Name", "string", 0, "name");
  if (info.crd) {
    const pcs = info.crd.printerColumns;
    if (pcs.length === 0) return { columns: [nameCol, col("Age", "date")], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
    return {
      columns: [nameCol, ...pcs.map((p) => col(p.name, (p.type as TableColumnDefinition["type"]) ?? "string", p.priority ?? 0, p.format ?? ""))],
      row: (o, now) => [o.metadata.name, ...pcs.map((p) => {
        const v = getPath(o, p.jsonPath);
        return p.type === "date" && typeof v === "string" ? age(v, now) : v;
      })],
    };
  }
  const printer = printers[info.kind];
  if (!printer) return { columns: [nameCol, col("Age")], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
  const columns = [nameCol, ...printer.columns.map(([n, t, p]) => col(n, t ?? "string", p ?? 0))];
  if (info.kind === "StorageClass") {
    return { columns, row: (o, now) => { const cells = printer.row(o, now); const isDefault = cells.pop(); return [isDefault ? `${o.metadata.name} (default)` : o.metadata.name, ...cells]; } };
  }
  return { columns, row: (o, now) => [o.metadata.name, ...printer.row(o, now)] };
}

/** kubectl's CSR condition column: Approved or Denied (or Failed), then Issued once signed, else Pending. */
function csrCondition(o: Obj): string {
  const types = ((o.status?.conditions ?? []) as Obj[]).filter((c) => c.status !== "False").map((c) => String(c.type));
  if (o.status?.certificate) types.push("Issued");
  return types.length ? types.join(",") : "Pending";
}
