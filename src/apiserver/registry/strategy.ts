/**
 * What differs between resources on their way into and out of storage, as
 * upstream's per-resource strategies (RESTCreateStrategy, RESTUpdateStrategy,
 * RESTDeleteStrategy, field selectors): one Strategy per resource in
 * `registry/<group>/<resource>/strategy.ts`, registered in strategies.ts.
 * The generic store (object-store.ts) runs the steps every resource shares
 * and asks the resource's strategy at each point below; it knows no kind.
 */
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { FieldError } from "../../api/errors.js";
import { jsonEqual } from "../../api/json-equal.js";
import type { TablePrinter } from "../../api/tables.js";
import type { NameValidation } from "../../api/validation.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { Obj } from "./object-store.js";
import type { SubresourceHandler } from "./subresource.js";

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * An object as the registry holds it: metadata always set, and status and
 * deletion marks writable (kubernetes-types marks them read-only, as they
 * are for clients); before validation any top-level field may be missing.
 */
export type Stored<T> = Writable<Partial<Omit<T, "metadata">>> & { metadata: Writable<ObjectMeta> };

export interface StrategyContext {
  /** Who writes the object. */
  user: UserInfo;
}

/**
 * How a subresource's write (status, finalize, approval) makes the object to
 * store from the current one and the request's; S is the stored object's type.
 */
export interface SubresourceUpdate<S> {
  merge(current: S, input: S): S;
  /** The rules of an update through this subresource, in place of the strategy's own. */
  validateUpdate?(obj: S, old: S): FieldError[];
}

/** A version served besides the storage one: how its objects become stored ones and back (upstream's conversion functions). */
export interface VersionConversion {
  toStorage(obj: Obj): Obj;
  fromStorage(obj: Obj): Obj;
}

/**
 * Every member is optional: a resource without one gets the generic
 * behaviour described on it. S is the object as the registry holds it:
 * Stored<T> of the kind's kubernetes-types type T, or the store's free-form Obj.
 */
export interface Strategy<S extends object = Obj> {
  /**
   * Upstream's SetDefaults for the kind, in place: on every write before
   * mutating admission and again after it (what a plugin added is defaulted
   * like the rest). Must be idempotent.
   */
  defaults?(obj: S): void;
  /**
   * Called on create after defaulting, metadata and mutating admission,
   * before validation (upstream's PrepareForCreate): resets what clients may
   * not set, such as status.
   */
  prepareForCreate?(obj: S, ctx: StrategyContext): void;
  /**
   * Called on update after defaulting and mutating admission, before
   * validation (upstream's PrepareForUpdate). Generic: a changed spec bumps
   * metadata.generation (bumpGenerationOnSpecChange).
   */
  prepareForUpdate?(obj: S, old: S): void;
  /** The rule for metadata.name. Generic: a DNS-1123 subdomain. */
  nameValidation?: NameValidation;
  /**
   * Field errors of the object (metadata apart: validateObjectMeta checks it
   * for every resource). On update, old is the stored object, for rules that
   * compare with it or let unchanged values pass (custom resources' CEL rules).
   * warn adds a warning to the response (an unchanged value's ratcheted error).
   */
  validate?(obj: S, old?: S, warn?: (text: string) => void): FieldError[];
  /** Field errors of an update that the object alone does not show (immutable fields). */
  validateUpdate?(obj: S, old: S): FieldError[];
  /** Extra fields accepted in `fieldSelector` besides metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
  /** A field's selectable value when it is not the field's own text (a boolean that defaults to false, say); undefined for the text. */
  fieldValue?(field: string, obj: S): string | undefined;
  /** The columns `kubectl get` shows (upstream's TableConvertor). Generic: name and age. */
  printer?: TablePrinter<S>;
  /** A PUT of an absent object creates it (upstream's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /**
   * Subresources that write only their part of the object. Generic: status
   * writes only status; a write of the object itself keeps the stored status
   * when the resource has a status subresource.
   */
  subresourceUpdates?: Record<string, SubresourceUpdate<S>>;
  /** Conversions of the versions served besides the storage one, by version. Generic: one schema for all versions. */
  conversions?: Record<string, VersionConversion>;
  /** Subresources served by a handler of their own (scale, binding, eviction, token, log), by name. */
  subresources?: Record<string, SubresourceHandler>;
  /**
   * The kind's own graceful deletion (upstream's BeforeDelete): marks obj in
   * place and returns true to store it instead of deleting, false to delete
   * now, or undefined to leave the decision to the finalizers.
   */
  beginGracefulDelete?(obj: S, finalizers: string[], gracePeriodSeconds: number | undefined, now: string): boolean | undefined;
  /** Whether an object whose finalizers are all gone may leave storage now (a pod waits for its kubelet). Generic: yes. */
  readyToDelete?(obj: S): boolean;
  /**
   * Upstream's DefaultGarbageCollectionPolicy: what a DELETE that names no propagation (neither
   * propagationPolicy nor orphanDependents) does to dependents, by the request's version. Generic:
   * Background. ReplicationControllers and batch/v1 Jobs orphan, for compatibility with old clients.
   */
  defaultGarbageCollectionPolicy?(version: string): "Orphan" | "Background";
  /** The warning of a DELETE left to an orphaning default (upstream's Job REST has one). */
  orphanByDefaultWarning?: string;
}

/** The usual create rule of a kind with a status subresource: status is the controllers', not the creator's. */
export function clearStatus(obj: { status?: unknown }): void {
  delete obj.status;
}

/** Everything but metadata and status: the part whose change bumps generation. */
function specOf(obj: Obj): { [field: string]: unknown } {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** Any change outside metadata and status bumps metadata.generation (custom resources). */
export function bumpGenerationOnChange(obj: Obj, old: Obj): void {
  if (!jsonEqual(specOf(obj), specOf(old))) obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
}

/**
 * The kinds whose objects carry metadata.generation in v1.32, by `group/Kind`: those whose
 * upstream strategy sets it to 1 in PrepareForCreate. Others (ConfigMaps, Secrets, but also
 * Pods, Services, Nodes and HorizontalPodAutoscalers, which have a spec) have none; custom
 * resources always have one.
 */
const KINDS_WITH_GENERATION = new Set([
  "apps/Deployment", "apps/ReplicaSet", "apps/StatefulSet", "apps/DaemonSet", "/ReplicationController",
  "batch/Job", "batch/CronJob", "policy/PodDisruptionBudget",
  "networking.k8s.io/Ingress", "networking.k8s.io/IngressClass", "networking.k8s.io/NetworkPolicy",
  "discovery.k8s.io/EndpointSlice", "apiextensions.k8s.io/CustomResourceDefinition",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration", "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy", "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "flowcontrol.apiserver.k8s.io/FlowSchema", "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
]);

/** Whether a kind's objects carry metadata.generation (see KINDS_WITH_GENERATION). */
export function tracksGeneration(r: { group: string; kind: string; crd?: unknown }): boolean {
  return Boolean(r.crd) || KINDS_WITH_GENERATION.has(`${r.group}/${r.kind}`);
}

/** The generic update rule: objects with a spec bump metadata.generation when anything but metadata and status changed. */
export function bumpGenerationOnSpecChange(obj: Obj, old: Obj): void {
  if ("spec" in obj) bumpGenerationOnChange(obj, old);
}

/** Reads a field for a field selector: the strategy's own reading, else the field's text ("" when absent). */
export function selectableField(strategy: Strategy, obj: Obj, field: string): string {
  const own = strategy.fieldValue?.(field, obj);
  if (own !== undefined) return own;
  let cur: unknown = obj;
  for (const part of field.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Obj)[part];
  }
  if (cur === undefined || cur === null) return "";
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}
