/**
 * What differs between kinds on the way into storage: fields reset on create,
 * generated selectors, extra field selectors. Everything else is generic.
 */
import { randomUUID } from "node:crypto";
import { rfc3339 } from "../../api/time.js";

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
  /** Fields whose selectable value is not the field's own text (a boolean that defaults to false, say). */
  fieldValues?: Record<string, (obj: Obj) => string>;
  /** A PUT of an absent object creates it (upstream's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /** Subresources that write only their part of the object: the object to store, from the current one and the request's. */
  subresourceUpdates?: Record<string, (current: Obj, input: Obj) => Obj>;
  /**
   * The kind's own graceful deletion (upstream's BeforeDelete): marks obj in
   * place and returns true to store it instead of deleting, false to delete
   * now, or undefined to leave the decision to the finalizers.
   */
  beginGracefulDelete?(obj: Obj, finalizers: string[], gracePeriodSeconds: number | undefined, now: string): boolean | undefined;
  /** Whether an object whose finalizers are all gone may leave storage now (a pod waits for its kubelet). */
  readyToDelete?(obj: Obj): boolean;
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
    // A pod bound to a node stays, marked, until its kubelet has stopped it and deletes it with grace period 0.
    beginGracefulDelete(o, finalizers, gracePeriodSeconds) {
      if (!o.spec?.nodeName || ["Succeeded", "Failed"].includes(o.status?.phase)) return undefined;
      const grace = gracePeriodSeconds ?? o.spec.terminationGracePeriodSeconds ?? 30;
      if (grace <= 0 && !finalizers.length) return undefined;
      const m = o.metadata;
      const g = Math.max(0, grace);
      if (!m.deletionTimestamp || g < (m.deletionGracePeriodSeconds ?? Infinity)) {
        m.deletionTimestamp = rfc3339(Date.now() + g * 1000);
        m.deletionGracePeriodSeconds = g;
      }
      if (finalizers.length) m.finalizers = finalizers;
      return true;
    },
    readyToDelete: (o) => !o.spec?.nodeName || o.metadata.deletionGracePeriodSeconds === 0,
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
  Namespace: {
    prepareForCreate(o) { o.status = { phase: "Active" }; },
    fieldSelectors: ["status.phase"],
    // A namespace is Terminating until the namespace controller has emptied it and cleared spec.finalizers.
    beginGracefulDelete(o, finalizers, _grace, now) {
      if (!(o.spec?.finalizers ?? []).length && !finalizers.length) return false;
      o.metadata.deletionTimestamp ??= now;
      o.metadata.deletionGracePeriodSeconds ??= 0;
      o.status = { ...(o.status ?? {}), phase: "Terminating" };
      if (finalizers.length) o.metadata.finalizers = finalizers;
      return true;
    },
    readyToDelete: (o) => !(o.spec?.finalizers ?? []).length,
    // A namespace's finalize writes only spec.finalizers, as upstream.
    subresourceUpdates: { finalize: (cur, input) => ({ ...cur, spec: { ...(cur.spec ?? {}), finalizers: input.spec?.finalizers ?? [] } }) },
  },
  // An unset spec.unschedulable selects as "false", as upstream's NodeToSelectableFields.
  Node: { fieldSelectors: ["spec.unschedulable"], fieldValues: { "spec.unschedulable": (o) => String(o.spec?.unschedulable === true) }, allowCreateOnUpdate: true },
  Endpoints: { allowCreateOnUpdate: true },
  Lease: { allowCreateOnUpdate: true },
  Secret: { fieldSelectors: ["type"] },
  Event: {
    allowCreateOnUpdate: true,
    fieldValues: { source: (o) => o.source?.component ?? o.reportingController ?? "" },
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
    // Approval writes only the conditions, as upstream.
    subresourceUpdates: { approval: (cur, input) => ({ ...cur, status: { ...(cur.status ?? {}), conditions: input.status?.conditions } }) },
  },
};

/** Reads a field for a field selector; `source` on events means its component. */
export function selectableField(kind: string, obj: Obj, field: string): string {
  const own = strategies[kind]?.fieldValues?.[field];
  if (own) return own(obj);
  let cur: unknown = obj;
  for (const part of field.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Obj)[part];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}
