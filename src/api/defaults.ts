/**
 * Defaulting as upstream's SetDefaults_* functions and the default admission
 * plugins do it, applied in place before validation on every write.
 */
import { defaultLimitRange } from "./limit-range-defaults.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON inside this module

const setIfMissing = (o: Obj, key: string, value: unknown) => {
  if (o[key] === undefined || o[key] === null) o[key] = value;
};

function defaultContainer(c: Obj): void {
  const image: string = c.image ?? "";
  const lastPart = image.split("/").pop() ?? "";
  const tag = lastPart.includes("@") ? "digest" : lastPart.includes(":") ? lastPart.split(":").pop() : "latest";
  setIfMissing(c, "imagePullPolicy", tag === "latest" ? "Always" : "IfNotPresent");
  setIfMissing(c, "terminationMessagePath", "/dev/termination-log");
  setIfMissing(c, "terminationMessagePolicy", "File");
  setIfMissing(c, "resources", {});
  for (const p of c.ports ?? []) setIfMissing(p, "protocol", "TCP");
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) setIfMissing(e.valueFrom.fieldRef, "apiVersion", "v1");
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue;
    setIfMissing(probe, "timeoutSeconds", 1);
    setIfMissing(probe, "periodSeconds", 10);
    setIfMissing(probe, "successThreshold", 1);
    setIfMissing(probe, "failureThreshold", 3);
    if (probe.httpGet) setIfMissing(probe.httpGet, "scheme", "HTTP"), setIfMissing(probe.httpGet, "path", "/");
  }
  // Requests default to limits when only limits are given.
  const limits = c.resources?.limits;
  if (limits) {
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(limits)) setIfMissing(c.resources.requests, k, v);
  }
}

export function defaultPodSpec(spec: Obj | undefined): void {
  if (!spec) return;
  setIfMissing(spec, "restartPolicy", "Always");
  setIfMissing(spec, "terminationGracePeriodSeconds", 30);
  setIfMissing(spec, "dnsPolicy", "ClusterFirst");
  setIfMissing(spec, "securityContext", {});
  setIfMissing(spec, "schedulerName", "default-scheduler");
  setIfMissing(spec, "enableServiceLinks", true);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap) setIfMissing(v.configMap, "defaultMode", 420);
    if (v.secret) setIfMissing(v.secret, "defaultMode", 420);
    if (v.downwardAPI) setIfMissing(v.downwardAPI, "defaultMode", 420);
    if (v.projected) setIfMissing(v.projected, "defaultMode", 420);
    if (v.hostPath) setIfMissing(v.hostPath, "type", "");
  }
}

function defaultTemplate(template: Obj | undefined): void {
  if (template) defaultPodSpec(template.spec);
}

/** The service account's name, until the ServiceAccount admission plugin defaults it. */
function admitPod(pod: Obj): void {
  const spec = pod.spec ?? {};
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || "default";
  spec.serviceAccount = spec.serviceAccountName;
}

const defaulters: Record<string, (o: Obj) => void> = {
  Pod(o) {
    o.spec ??= {};
    defaultPodSpec(o.spec);
    admitPod(o);
  },
  PodTemplate(o) { defaultTemplate(o.template); },
  ReplicationController(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "replicas", 1);
    const labels = o.spec.template?.metadata?.labels;
    if (labels && !o.spec.selector) o.spec.selector = { ...labels };
    if (labels && !o.metadata.labels) o.metadata.labels = { ...labels };
    defaultTemplate(o.spec.template);
  },
  Deployment(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "replicas", 1);
    o.spec.strategy ??= {};
    setIfMissing(o.spec.strategy, "type", "RollingUpdate");
    if (o.spec.strategy.type === "RollingUpdate") {
      o.spec.strategy.rollingUpdate ??= {};
      setIfMissing(o.spec.strategy.rollingUpdate, "maxUnavailable", "25%");
      setIfMissing(o.spec.strategy.rollingUpdate, "maxSurge", "25%");
    }
    setIfMissing(o.spec, "revisionHistoryLimit", 10);
    setIfMissing(o.spec, "progressDeadlineSeconds", 600);
    defaultTemplate(o.spec.template);
  },
  ReplicaSet(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "replicas", 1);
    defaultTemplate(o.spec.template);
  },
  StatefulSet(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "replicas", 1);
    setIfMissing(o.spec, "podManagementPolicy", "OrderedReady");
    o.spec.updateStrategy ??= {};
    setIfMissing(o.spec.updateStrategy, "type", "RollingUpdate");
    if (o.spec.updateStrategy.type === "RollingUpdate") {
      o.spec.updateStrategy.rollingUpdate ??= {};
      setIfMissing(o.spec.updateStrategy.rollingUpdate, "partition", 0);
    }
    setIfMissing(o.spec, "revisionHistoryLimit", 10);
    o.spec.persistentVolumeClaimRetentionPolicy ??= {};
    setIfMissing(o.spec.persistentVolumeClaimRetentionPolicy, "whenDeleted", "Retain");
    setIfMissing(o.spec.persistentVolumeClaimRetentionPolicy, "whenScaled", "Retain");
    o.spec.persistentVolumeClaimRetentionPolicy ??= {};
    setIfMissing(o.spec.persistentVolumeClaimRetentionPolicy, "whenDeleted", "Retain");
    setIfMissing(o.spec.persistentVolumeClaimRetentionPolicy, "whenScaled", "Retain");
    for (const t of o.spec.volumeClaimTemplates ?? []) {
      t.spec ??= {};
      setIfMissing(t.spec, "volumeMode", "Filesystem");
    }
    defaultTemplate(o.spec.template);
  },
  DaemonSet(o) {
    o.spec ??= {};
    o.spec.updateStrategy ??= {};
    setIfMissing(o.spec.updateStrategy, "type", "RollingUpdate");
    if (o.spec.updateStrategy.type === "RollingUpdate") {
      o.spec.updateStrategy.rollingUpdate ??= {};
      setIfMissing(o.spec.updateStrategy.rollingUpdate, "maxUnavailable", 1);
      setIfMissing(o.spec.updateStrategy.rollingUpdate, "maxSurge", 0);
    }
    setIfMissing(o.spec, "revisionHistoryLimit", 10);
    defaultTemplate(o.spec.template);
  },
  Job(o) {
    o.spec ??= {};
    defaultJobSpec(o.spec);
  },
  CronJob(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "concurrencyPolicy", "Allow");
    setIfMissing(o.spec, "suspend", false);
    setIfMissing(o.spec, "successfulJobsHistoryLimit", 3);
    setIfMissing(o.spec, "failedJobsHistoryLimit", 1);
    if (o.spec.jobTemplate?.spec) defaultJobSpec(o.spec.jobTemplate.spec);
  },
  Service(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "type", "ClusterIP");
    if (o.spec.type !== "ExternalName") {
      setIfMissing(o.spec, "sessionAffinity", "None");
      setIfMissing(o.spec, "internalTrafficPolicy", "Cluster");
    }
    for (const p of o.spec.ports ?? []) {
      setIfMissing(p, "protocol", "TCP");
      if (o.spec.type !== "ExternalName") setIfMissing(p, "targetPort", p.port);
    }
    if (o.spec.type === "NodePort" || o.spec.type === "LoadBalancer") setIfMissing(o.spec, "externalTrafficPolicy", "Cluster");
    if (o.spec.type === "LoadBalancer") setIfMissing(o.spec, "allocateLoadBalancerNodePorts", true);
    if (o.spec.sessionAffinity === "ClientIP") {
      o.spec.sessionAffinityConfig ??= { clientIP: {} };
      o.spec.sessionAffinityConfig.clientIP ??= {};
      setIfMissing(o.spec.sessionAffinityConfig.clientIP, "timeoutSeconds", 10800);
    }
  },
  Namespace(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "finalizers", ["kubernetes"]);
    o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name };
  },
  Secret(o) {
    setIfMissing(o, "type", "Opaque");
    // stringData is write-only: it lands in data, base64-encoded, and is never stored.
    if (o.stringData && typeof o.stringData === "object") {
      o.data ??= {};
      for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString("base64");
      delete o.stringData;
    }
  },
  ServiceAccount() {},
  PersistentVolume(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "persistentVolumeReclaimPolicy", "Retain");
    setIfMissing(o.spec, "volumeMode", "Filesystem");
  },
  PersistentVolumeClaim(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "volumeMode", "Filesystem");
  },
  StorageClass(o) {
    setIfMissing(o, "reclaimPolicy", "Delete");
    setIfMissing(o, "volumeBindingMode", "Immediate");
  },
  PriorityClass(o) { setIfMissing(o, "preemptionPolicy", "PreemptLowerPriority"); },
  LimitRange: (o) => defaultLimitRange(o),
  Ingress(o) {
    for (const rule of o.spec?.rules ?? []) for (const path of rule.http?.paths ?? []) setIfMissing(path, "pathType", "ImplementationSpecific");
  },
  NetworkPolicy(o) {
    o.spec ??= {};
    if (!o.spec.policyTypes) o.spec.policyTypes = o.spec.egress ? ["Ingress", "Egress"] : ["Ingress"];
    for (const rule of [...(o.spec.ingress ?? []), ...(o.spec.egress ?? [])]) for (const p of rule.ports ?? []) setIfMissing(p, "protocol", "TCP");
  },
  Node(o) {
    o.spec ??= {};
  },
  HorizontalPodAutoscaler(o) {
    o.spec ??= {};
    setIfMissing(o.spec, "minReplicas", 1);
  },
  CustomResourceDefinition(o) {
    for (const v of o.spec?.versions ?? []) setIfMissing(v, "served", true);
    o.spec ??= {};
    setIfMissing(o.spec, "conversion", { strategy: "None" });
  },
  Endpoints(o) {
    for (const s of o.subsets ?? []) for (const p of s.ports ?? []) setIfMissing(p, "protocol", "TCP");
  },
  EndpointSlice(o) {
    for (const p of o.ports ?? []) setIfMissing(p, "protocol", "TCP");
  },
};

function defaultJobSpec(spec: Obj): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfMissing(spec, "parallelism", 1);
  // With a limit per index, the Job-wide limit only applies when given.
  setIfMissing(spec, "backoffLimit", spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6);
  setIfMissing(spec, "completionMode", "NonIndexed");
  setIfMissing(spec, "suspend", false);
  setIfMissing(spec, "podReplacementPolicy", "TerminatingOrFailed");
  defaultTemplate(spec.template);
}

/** Applies upstream's defaults to an object of the given kind, in place. */
export function applyDefaults(kind: string, obj: Obj): void {
  obj.metadata ??= {};
  defaulters[kind]?.(obj);
}
