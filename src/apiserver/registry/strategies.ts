/**
 * What differs between kinds on the way into storage: fields reset on create,
 * generated selectors, extra field selectors. Everything else is generic.
 */
import { randomUUID } from "node:crypto";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON inside this module

export interface StrategyContext {
  /** Who creates the object. */
  user: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
}

export interface Strategy {
  /** Called after defaulting, metadata and mutating admission on create, before validation. */
  prepareForCreate?(obj: Obj, ctx: StrategyContext): void;
  /** Extra fields accepted in `fieldSelector` besides metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
}

const clearStatus = (o: Obj) => { delete o.status; };

function qosClass(spec: Obj): string {
  const cs: Obj[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let anySet = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ["cpu", "memory"]) {
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

export const strategies: Record<string, Strategy> = {
  Pod: {
    prepareForCreate(o) {
      o.status = { phase: "Pending", qosClass: qosClass(o.spec ?? {}) };
    },
    fieldSelectors: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"],
  },
  Deployment: { prepareForCreate: clearStatus },
  ReplicaSet: { prepareForCreate: clearStatus, fieldSelectors: ["status.replicas"] },
  ReplicationController: { prepareForCreate: clearStatus, fieldSelectors: ["status.replicas"] },
  StatefulSet: { prepareForCreate: clearStatus },
  DaemonSet: { prepareForCreate: clearStatus },
  Job: {
    prepareForCreate(o) {
      clearStatus(o);
      const spec = o.spec ?? {};
      if (!spec.manualSelector) {
        const uid: string = o.metadata.uid ?? randomUUID();
        const labels = { "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": o.metadata.name, "controller-uid": uid, "job-name": o.metadata.name };
        spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
        spec.template ??= {};
        spec.template.metadata ??= {};
        spec.template.metadata.labels = { ...labels, ...(spec.template.metadata.labels ?? {}) };
      }
    },
    fieldSelectors: ["status.successful"],
  },
  CronJob: { prepareForCreate: clearStatus },
  Service: { prepareForCreate(o) { o.status = { loadBalancer: {} }; } },
  Namespace: { prepareForCreate(o) { o.status = { phase: "Active" }; }, fieldSelectors: ["status.phase"] },
  Node: { fieldSelectors: ["spec.unschedulable"] },
  Secret: { fieldSelectors: ["type"] },
  Event: {
    fieldSelectors: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
  },
  PersistentVolumeClaim: { prepareForCreate(o) { o.status = { phase: "Pending" }; } },
  PersistentVolume: { prepareForCreate(o) { o.status = { phase: o.status?.phase ?? "Pending" }; } },
  HorizontalPodAutoscaler: { prepareForCreate: clearStatus },
  PodDisruptionBudget: { prepareForCreate: clearStatus },
  Ingress: { prepareForCreate(o) { o.status = { loadBalancer: {} }; } },
  CustomResourceDefinition: { prepareForCreate: clearStatus },
  CertificateSigningRequest: {
    // Who asked is recorded by the server, as upstream's strategy does; clients cannot choose it, nor a status.
    prepareForCreate(o, ctx) {
      o.spec ??= {};
      o.spec.username = ctx.user.username;
      o.spec.groups = ctx.user.groups;
      if (ctx.user.uid) o.spec.uid = ctx.user.uid; else delete o.spec.uid;
      if (ctx.user.extra && Object.keys(ctx.user.extra).length) o.spec.extra = ctx.user.extra; else delete o.spec.extra;
      delete o.status;
    },
    fieldSelectors: ["spec.signerName"],
  },
};

/** Reads a field for a field selector; `source` on events means its component. */
export function selectableField(kind: string, obj: Obj, field: string): string {
  if (kind === "Event" && field === "source") return obj.source?.component ?? obj.reportingController ?? "";
  let cur: unknown = obj;
  for (const part of field.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Obj)[part];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}
