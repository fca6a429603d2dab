/**
 * Upstream's LimitRanger: the namespace's LimitRanges give a new pod's
 * containers the requests and limits they leave out (type Container default
 * and defaultRequest, noted in the kubernetes.io/limit-ranger annotation),
 * and refuse a pod or claim outside their min, max or maxLimitRequestRatio
 * (403, upstream's messages). LimitRanges come from a cache that follows
 * their watch; only a namespace the cache shows none for is looked up in
 * storage, and that answer is kept for 30 s, as upstream's live lookup.
 */
import type { LimitRange, LimitRangeItem, PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import { ExactQuantity, MAX_MILLI_VALUE } from "../../../api/exact-quantity.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";
import { podResources, type ResourceList } from "../../../api/pod-resources.js";
import { admissionForbidden } from "./forbidden.js";

export const LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger";

export interface LimitRangeLister {
  /** The namespace's LimitRanges that the cache holds. */
  cached(namespace: string): LimitRange[];
  /** The namespace's LimitRanges, read from storage. */
  list(namespace: string): Promise<LimitRange[]>;
}

const LIVE_LOOKUP_TTL_MS = 30_000;
const LIVE_LOOKUP_ENTRIES = 10_000;

export class LimitRanger implements AdmissionPlugin {
  readonly name = "LimitRanger";
  private readonly liveLookups = new Map<string, { expiry: number; items: LimitRange[] }>();
  /** One storage read per namespace at a time, shared by the requests waiting on it (upstream's singleflight). */
  private readonly inFlight = new Map<string, Promise<LimitRange[]>>();

  constructor(private readonly lister: LimitRangeLister) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a) || a.info.resource !== "pods") return;
    for (const lr of await this.limitRangesOf(a.namespace)) defaultPodResources(lr, a.object as Pod);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!this.handles(a)) return;
    for (const lr of await this.limitRangesOf(a.namespace)) {
      const errors = a.info.resource === "pods" ? validatePod(lr, a.object as Pod) : validateClaim(lr, a.object as PersistentVolumeClaim);
      if (errors.length) throw admissionForbidden(a, aggregate(errors));
    }
  }

  /**
   * Pods on create and claims on create or update, never a subresource; a
   * pod's containers cannot change after creation, and an object on its way
   * out is left alone.
   */
  private handles(a: AdmissionAttributes): boolean {
    if (a.subresource || a.info.group !== "") return false;
    if (a.oldObject?.metadata?.deletionTimestamp) return false;
    if (a.info.resource === "pods") return a.operation === "CREATE";
    return a.info.resource === "persistentvolumeclaims" && (a.operation === "CREATE" || a.operation === "UPDATE");
  }

  private async limitRangesOf(namespace: string): Promise<LimitRange[]> {
    const cached = this.lister.cached(namespace);
    if (cached.length) return cached;
    const live = this.liveLookups.get(namespace);
    if (live && live.expiry > Date.now()) return live.items;
    let pending = this.inFlight.get(namespace);
    if (!pending) {
      pending = this.lister.list(namespace).then((items) => {
        this.liveLookups.delete(namespace);
        this.liveLookups.set(namespace, { expiry: Date.now() + LIVE_LOOKUP_TTL_MS, items });
        if (this.liveLookups.size > LIVE_LOOKUP_ENTRIES) this.liveLookups.delete(this.liveLookups.keys().next().value!);
        return items;
      }).finally(() => this.inFlight.delete(namespace));
      this.inFlight.set(namespace, pending);
    }
    return pending;
  }
}

/** The defaults of the LimitRange's Container items: requests from defaultRequest, limits from default. */
function containerDefaults(lr: LimitRange): { requests: Record<string, string>; limits: Record<string, string> } {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "Container") continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  return { requests, limits };
}

/** Gives every container what it leaves unset, and records what was set in the pod's annotation. */
function defaultPodResources(lr: LimitRange, pod: Pod): void {
  const defaults = containerDefaults(lr);
  const notes: string[] = [];
  const spec = pod.spec;
  if (!spec) return;
  const apply = (containers: NonNullable<Pod["spec"]>["containers"] | undefined, what: string) => {
    for (const c of containers ?? []) {
      const resources = (c.resources ??= {});
      const limits = (resources.limits ??= {});
      const requests = (resources.requests ??= {});
      const setLimits = Object.keys(defaults.limits).filter((k) => limits[k] === undefined).sort();
      const setRequests = Object.keys(defaults.requests).filter((k) => requests[k] === undefined).sort();
      for (const k of setLimits) limits[k] = defaults.limits[k]!;
      for (const k of setRequests) requests[k] = defaults.requests[k]!;
      if (setRequests.length) notes.push(`${setRequests.join(", ")} request for ${what} ${c.name}`);
      if (setLimits.length) notes.push(`${setLimits.join(", ")} limit for ${what} ${c.name}`);
    }
  };
  apply(spec.containers, "container");
  apply(spec.initContainers, "init container");
  if (notes.length) (pod.metadata ??= {}).annotations = { ...pod.metadata?.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join("; ")}` };
}

function validatePod(lr: LimitRange, pod: Pod): string[] {
  const errors: string[] = [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === "Container") {
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        errors.push(...checkItem(item, "Container", quantities(c.resources?.requests), quantities(c.resources?.limits)));
      }
    } else if (item.type === "Pod") {
      errors.push(...checkItem(item, "Pod", podResources(pod, "requests"), podResources(pod, "limits")));
    }
  }
  return errors;
}

/** A claim's storage is what it requests: there is nothing to default, and its limits are not the user's to set. */
function validateClaim(lr: LimitRange, claim: PersistentVolumeClaim): string[] {
  const errors: string[] = [];
  const requests = quantities(claim.spec?.resources?.requests);
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== "PersistentVolumeClaim") continue;
    for (const [name, min] of sorted(item.min)) pushIf(errors, minConstraint(item.type, name, min, requests, new Map()));
    for (const [name, max] of sorted(item.max)) pushIf(errors, maxRequestConstraint(item.type, name, max, requests));
  }
  return errors;
}

/** The max of a kind whose limits mean nothing (claims): checked against the request. */
function maxRequestConstraint(type: string, name: string, max: ExactQuantity, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  if (!req) return `maximum ${name} usage per ${type} is ${max}.  No request is specified`;
  const v = compared(req, ExactQuantity.zero, max);
  if (v.request > v.enforced) return `maximum ${name} usage per ${type} is ${max}, but request is ${req}`;
  return undefined;
}

function checkItem(item: LimitRangeItem, type: string, requests: ResourceList, limits: ResourceList): string[] {
  const errors: string[] = [];
  for (const [name, min] of sorted(item.min)) pushIf(errors, minConstraint(type, name, min, requests, limits));
  for (const [name, max] of sorted(item.max)) pushIf(errors, maxConstraint(type, name, max, requests, limits));
  for (const [name, ratio] of sorted(item.maxLimitRequestRatio)) pushIf(errors, ratioConstraint(type, name, ratio, requests, limits));
  return errors;
}

/** Request, limit and bound at one precision: thousandths when none is too large for them, as upstream. */
function compared(request: ExactQuantity, limit: ExactQuantity, enforced: ExactQuantity): { request: bigint; limit: bigint; enforced: bigint } {
  const whole = { request: request.value(), limit: limit.value(), enforced: enforced.value() };
  if (whole.request <= MAX_MILLI_VALUE && whole.limit <= MAX_MILLI_VALUE && whole.enforced <= MAX_MILLI_VALUE) {
    return { request: request.milliValue(), limit: limit.milliValue(), enforced: enforced.milliValue() };
  }
  return whole;
}

function minConstraint(type: string, name: string, min: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const v = compared(req ?? ExactQuantity.zero, lim ?? ExactQuantity.zero, min);
  if (!req) return `minimum ${name} usage per ${type} is ${min}.  No request is specified`;
  if (v.request < v.enforced) return `minimum ${name} usage per ${type} is ${min}, but request is ${req}`;
  if (lim && v.limit < v.enforced) return `minimum ${name} usage per ${type} is ${min}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(type: string, name: string, max: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const v = compared(req ?? ExactQuantity.zero, lim ?? ExactQuantity.zero, max);
  if (!lim) return `maximum ${name} usage per ${type} is ${max}.  No limit is specified`;
  if (v.limit > v.enforced) return `maximum ${name} usage per ${type} is ${max}, but limit is ${lim}`;
  if (req && v.request > v.enforced) return `maximum ${name} usage per ${type} is ${max}, but request is ${req}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, ratio: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  const v = compared(req ?? ExactQuantity.zero, lim ?? ExactQuantity.zero, ratio);
  if (!req || v.request === 0n) return `${name} max limit to request ratio per ${type} is ${ratio}, but no request is specified or request is 0`;
  if (!lim || v.limit === 0n) return `${name} max limit to request ratio per ${type} is ${ratio}, but no limit is specified or limit is 0`;
  const observed = Number(v.limit) / Number(v.request);
  const milli = ratio.value() <= MAX_MILLI_VALUE;
  const bound = milli ? Number(ratio.milliValue()) : Number(ratio.value());
  if ((milli ? observed * 1000 : observed) > bound) return `${name} max limit to request ratio per ${type} is ${ratio}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function quantities(list: Record<string, string> | undefined): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, text] of Object.entries(list ?? {})) {
    const q = ExactQuantity.parse(text);
    if (q) out.set(name, q);
  }
  return out;
}

/** A LimitRange's map of bounds in name order, so that messages come out the same each time. */
function sorted(list: Record<string, string> | undefined): [string, ExactQuantity][] {
  return [...quantities(list)].sort(([a], [b]) => a.localeCompare(b));
}

function pushIf(errors: string[], e: string | undefined): void {
  if (e) errors.push(e);
}

/** Upstream's aggregate error text: one message alone, several (duplicates dropped) in brackets. */
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}
