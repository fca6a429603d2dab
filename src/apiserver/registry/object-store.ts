/**
 * The generic registry: the object semantics that every resource shares on top
 * of the Store (metadata, defaulting, validation, preconditions, generation,
 * status and spec written apart, finalizers, graceful deletion, list and watch
 * with selectors and paging). What differs between resources is their
 * Strategy (strategy.ts), looked up in strategies.ts: no kind is named here.
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  ApiError, alreadyExists, badRequest, conflict, expired, invalid, notFound, type FieldError,
} from "../../api/errors.js";
import { jsonEqual } from "../../api/json-equal.js";
import { groupVersion, hasSubresource, type ResourceInfo } from "../../api/resources.js";
import { matchesLabels, parseFieldSelector, parseLabelSelector, type FieldRequirement, type Requirement } from "../../api/selectors.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../api/validation.js";
import { type KeyValue, type Store, type WatchEvent, isStoreError } from "../../storage/index.js";
import { strategyFor } from "./strategies.js";
import { bumpGenerationOnSpecChange, selectableField, tracksGeneration, type Strategy, type SubresourceUpdate } from "./strategy.js";
import { updateManagedFields } from "./managed-fields.js";
import { pruneUnknownFields } from "../field-validation.js";
import { checkTypes } from "../type-check.js";
import { rfc3339 } from "../../api/time.js";
import type { KubeObject } from "../../api/kube-object.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { AdmissionAttributes, AdmissionOptions, Operation } from "../admission/admission.js";

export type Obj = KubeObject;

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** "status" or "scale" when the write came through a subresource. */
  subresource?: string;
  /** Who writes (set for requests from clients). */
  user?: UserInfo;
  /** Server-side apply: the fields the applier now owns (its write is recorded as an Apply). */
  applied?: Set<string>;
  /** Where admission's warnings for the client are collected. */
  warnings?: string[];
  /** Annotates the request's audit event. */
  auditAnnotate?: (key: string, value: string) => void;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** Ask for rawItems when the list needs no parsing (no selector, no conversion). */
  raw?: boolean;
}

export interface ListResult {
  items: Obj[];
  /** With ListOptions.raw and no selector: the items as served JSON text, unparsed. */
  rawItems?: string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  /** Who deletes (set for requests from clients), for admission. */
  user?: UserInfo;
  warnings?: string[];
  auditAnnotate?: (key: string, value: string) => void;
}

export interface ObjectEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Obj;
}

/** The admission chain as the store runs it: mutating before validation, validating after it. */
export interface WriteAdmission {
  admit(attrs: AdmissionAttributes): Promise<void>;
  validate(attrs: AdmissionAttributes): Promise<void>;
}

/**
 * What a resource's registry does around storage beyond the generic
 * semantics, keyed by kind like the strategies: allocations taken before a
 * write (given back when the write fails) and released after a delete.
 */
export interface StorageHooks {
  /** Before a create or update is stored; returns how to undo what it took if the write then fails. */
  beforeWrite?(obj: Obj, old: Obj | undefined, opts: WriteOptions): MaybePromise<(() => MaybePromise<void>) | void>;
  /** After an update was stored. */
  afterUpdate?(obj: Obj, old: Obj): MaybePromise<void>;
  /** After an object left storage. */
  afterDelete?(obj: Obj): MaybePromise<void>;
}

type MaybePromise<T> = T | Promise<T>;

export interface ObjectStoreOptions {
  admission?: WriteAdmission;
  hooks?: Record<string, StorageHooks>;
  /**
   * Custom objects of a CRD with a conversion webhook, converted to another
   * version of theirs by it (those already in it untouched); without one,
   * such objects are relabelled as with strategy None.
   */
  convertCustomResources?: (info: ResourceInfo, objects: Obj[], apiVersion: string) => Promise<Obj[]>;
}

/** Writes the server makes on its own behalf (bootstrap objects, the kubernetes Service) pass admission as this user, as upstream's loopback client. */
export const APISERVER_USER: UserInfo = { username: "system:apiserver", groups: ["system:masters", "system:authenticated"] };

export interface Selection { labels: Requirement[]; fields: FieldRequirement[] }

const now = () => rfc3339();

function decode(kv: KeyValue): Obj {
  const obj = JSON.parse(kv.value) as Obj;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

/**
 * Stored form: no resourceVersion (the store's revision is the truth), and
 * apiVersion, kind and metadata first, so that a list can splice the
 * resourceVersion into stored text without parsing it (see rawItem).
 */
function encode(obj: Obj): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** The served JSON of a stored value, or undefined when it needs decoding (another version, say). */
function rawItem(kv: KeyValue, head: string): string | undefined {
  if (!kv.value.startsWith(head) || kv.value[head.length] === "}") return undefined;
  return `${head}"resourceVersion":"${kv.modRevision}",${kv.value.slice(head.length)}`;
}

/** Equality for no-op detection: managedFields timestamps and resourceVersion do not count. */
function sameObject(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const c = { ...o, metadata: { ...o.metadata } };
    delete c.metadata.resourceVersion;
    c.metadata.managedFields = (o.metadata.managedFields ?? []).map((f) => ({ ...f, time: undefined }));
    return c;
  };
  return jsonEqual(strip(a), strip(b));
}

/** The CreateOptions or UpdateOptions of a write as upstream's admission attributes carry them (webhooks are shown them). */
function requestOptions(operation: Operation, opts: WriteOptions): AdmissionOptions | undefined {
  if (operation !== "CREATE" && operation !== "UPDATE") return undefined;
  const o: AdmissionOptions = { kind: operation === "CREATE" ? "CreateOptions" : "UpdateOptions", apiVersion: "meta.k8s.io/v1" };
  if (opts.dryRun) o.dryRun = ["All"];
  if (opts.fieldManager) o.fieldManager = opts.fieldManager;
  return o;
}

function deleteOptions(options: DeleteOptions): AdmissionOptions {
  const o: AdmissionOptions = { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1" };
  if (options.gracePeriodSeconds !== undefined) o.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.preconditions) o.preconditions = options.preconditions;
  if (options.propagationPolicy) o.propagationPolicy = options.propagationPolicy;
  if (options.dryRun) o.dryRun = ["All"];
  return o;
}

export class ObjectStore {
  private readonly admission?: WriteAdmission;
  private readonly hooks: Record<string, StorageHooks>;
  private readonly convertCustomResources?: ObjectStoreOptions["convertCustomResources"];

  constructor(private readonly store: Store, options: ObjectStoreOptions = {}) {
    this.admission = options.admission;
    this.hooks = options.hooks ?? {};
    this.convertCustomResources = options.convertCustomResources;
  }

  private attributes(info: ResourceInfo, operation: Operation, obj: Obj, old: Obj | undefined, opts: WriteOptions & { dryRun?: boolean }): AdmissionAttributes {
    return {
      info, operation, object: obj, oldObject: old, namespace: obj.metadata?.namespace ?? old?.metadata?.namespace ?? "",
      name: obj.metadata?.name ?? old?.metadata?.name ?? "", subresource: opts.subresource ?? "", user: opts.user ?? APISERVER_USER,
      dryRun: Boolean(opts.dryRun), addWarning: (text) => { opts.warnings?.push(text); }, addAuditAnnotation: opts.auditAnnotate,
      options: requestOptions(operation, opts),
    };
  }

  /**
   * Admission for a subresource that creates something apart from the
   * object (an eviction, a token): the registry of that subresource calls it
   * with what is being created.
   */
  async admitSubresource(info: ResourceInfo, subresource: string, obj: Obj, parent: Obj, opts: WriteOptions): Promise<void> {
    if (!this.admission) return;
    const attrs = { ...this.attributes(info, "CREATE", obj, undefined, { ...opts, subresource }), namespace: parent.metadata.namespace ?? "", name: parent.metadata.name ?? "" };
    await this.admission.admit(attrs);
    await this.admission.validate(attrs);
  }

  key(info: ResourceInfo, namespace: string | undefined, name = ""): string {
    return info.namespaced ? `${info.storagePrefix}/${namespace ? `${namespace}/${name}` : ""}` : `${info.storagePrefix}/${name}`;
  }

  private prefix(info: ResourceInfo, namespace: string | undefined): string {
    return info.namespaced && namespace ? `${info.storagePrefix}/${namespace}/` : `${info.storagePrefix}/`;
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<Obj> {
    const kv = await this.store.get(this.key(info, namespace, name));
    if (!kv) throw notFound(info.resource, info.group, name);
    return (await this.presentAll(info, [decode(kv)]))[0]!;
  }

  /** Whether objects of this resource in another version need its CRD's conversion webhook. */
  private convertsByWebhook(info: ResourceInfo): boolean {
    return Boolean(info.crd?.conversionWebhook && this.convertCustomResources);
  }

  /**
   * Stored objects as the resource's version shows them: through the
   * conversion webhook, in one call for all of them, when their CRD has one.
   */
  private async presentAll(info: ResourceInfo, stored: Obj[]): Promise<Obj[]> {
    if (!this.convertsByWebhook(info)) return stored.map((o) => this.present(info, o));
    const converted = await this.convertCustomResources!(info, stored, groupVersion(info));
    return converted.map((o) => this.present(info, o));
  }

  /** An object as it is stored: in the CRD's storage version, through its webhook, when it has one. */
  private async toStorageVersion(info: ResourceInfo, obj: Obj): Promise<Obj> {
    const storageVersion = info.crd?.storageVersion;
    if (!this.convertsByWebhook(info) || !storageVersion || storageVersion === info.version) return this.toStorage(info, obj);
    const [stored] = await this.convertCustomResources!(info, [{ ...obj, apiVersion: groupVersion(info), kind: info.kind }], `${info.group}/${storageVersion}`);
    return stored!;
  }

  /** Stored objects keep their own apiVersion; a read through another version relabels it. */
  private present(info: ResourceInfo, stored: Obj): Obj {
    const conversion = strategyFor(info).conversions?.[info.version];
    const obj = conversion ? conversion.fromStorage(stored) : stored;
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    // Custom resources are defaulted from their schema as they are read, as upstream's decoder does.
    if (info.crd) strategyFor(info).defaults?.(obj);
    return obj;
  }

  private toStorage(info: ResourceInfo, obj: Obj): Obj {
    const conversion = strategyFor(info).conversions?.[info.version];
    return conversion ? conversion.toStorage(obj) : obj;
  }

  private checkName(info: ResourceInfo, name: string | undefined): void {
    if (name === undefined) return;
    if (name === "." || name === ".." || name.includes("/") || name.includes("%")) {
      throw invalid(info.kind, info.group, name, [{ type: "FieldValueInvalid", field: "metadata.name", value: name, detail: `may not contain '/' or '%', and may not be '.' or '..'` }]);
    }
  }

  /** update: the subresource whose write this is, when it has rules of its own; warnings: the response's. */
  private validate(info: ResourceInfo, strategy: Strategy, obj: Obj, old?: Obj, update?: SubresourceUpdate<Obj>, warnings?: string[]): void {
    const warn = (text: string) => { warnings?.push(text); };
    const errs: FieldError[] = [...validateObjectMeta(obj, info.namespaced, strategy.nameValidation), ...(old ? validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata) : [])];
    errs.push(...(strategy.validate?.(obj, old, warn) ?? []));
    if (old) errs.push(...((update?.validateUpdate ?? strategy.validateUpdate)?.(obj, old) ?? []));
    if (errs.length) throw invalid(info.kind, info.group, obj.metadata?.name ?? "", errs);
  }

  async create(info: ResourceInfo, namespace: string | undefined, input: Obj, opts: WriteOptions = {}): Promise<Obj> {
    if (info.crd?.terminating) throw new ApiError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating", { group: info.group, kind: info.resource });
    checkTypes(info, input); // every writer's object, apply and subresources included, is of its kind's types
    const obj = structuredClone(input);
    obj.metadata ??= {};
    let m = obj.metadata;
    if (info.namespaced) {
      if (m.namespace && namespace && m.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      m.namespace = namespace ?? m.namespace;
    } else {
      delete m.namespace;
    }
    this.checkName(info, m.name);
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    m.uid = randomUUID();
    m.creationTimestamp = now();
    if (tracksGeneration(info)) m.generation = 1;
    else delete m.generation;
    pruneUnknownFields(info, obj);
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    const strategy = strategyFor(info);
    strategy.defaults?.(obj);
    const attrs = this.attributes(info, "CREATE", obj, undefined, opts);
    await this.admission?.admit(attrs);
    m = obj.metadata ??= {}; // a webhook's patch gives the object new metadata
    // What mutating admission added (volumes, tolerations) is defaulted like the rest, and the strategy has the last word.
    strategy.defaults?.(obj);
    strategy.prepareForCreate?.(obj, { user: opts.user ?? APISERVER_USER });
    // As upstream's store (rest.BeforeCreate), the name is generated after mutating admission: webhooks see
    // generateName and an empty name, validation and validating admission the generated one.
    const generated = !m.name && Boolean(m.generateName);
    if (generated) attrs.name = m.name = generateName(m.generateName ?? "");
    this.checkName(info, m.name);
    if (!m.name) {
      throw invalid(info.kind, info.group, "", [{ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" }]);
    }
    this.validate(info, strategy, obj, undefined, undefined, opts.warnings);
    // A taken name is found by the store's create itself, as upstream's one etcd transaction finds it (no read
    // before every write): allocations made meanwhile are undone below, and validating admission (quota) has
    // seen the request, as upstream's has.
    await this.admission?.validate(attrs);
    m.managedFields = updateManagedFields(undefined, obj, opts.fieldManager, groupVersion(info), opts.applied ? "Apply" : "Update", opts.subresource, opts.applied);
    if (!m.managedFields.length) delete m.managedFields;
    // A generated name that is taken is generated again, up to upstream's 8 attempts (RetryGenerateName).
    for (let attempt = 1; ; attempt++) {
      const undo = await this.hooks[info.kind]?.beforeWrite?.(obj, undefined, opts);
      if (opts.dryRun) { await undo?.(); return obj; }
      try {
        const kv = await this.store.create(this.key(info, m.namespace, m.name), encode(await this.toStorageVersion(info, obj)));
        m.resourceVersion = String(kv.modRevision);
        return obj;
      } catch (err) {
        await undo?.();
        if (!isStoreError(err, "KeyExists")) throw err;
        if (!generated || attempt === MAX_GENERATE_NAME_ATTEMPTS) throw alreadyExists(info.resource, info.group, m.name);
        attrs.name = m.name = generateName(m.generateName ?? "");
      }
    }
  }

  /**
   * Read-modify-write with optimistic concurrency. mutate gets a copy of the
   * current object (or undefined when absent and allowCreate) and returns the
   * desired one; a conflict with a concurrent writer retries, unless the caller
   * pinned a resourceVersion, which is then a precondition.
   */
  async guaranteedUpdate(
    info: ResourceInfo, namespace: string | undefined, name: string,
    mutate: (current: Obj | undefined) => Obj | Promise<Obj>,
    opts: WriteOptions & { allowCreate?: boolean } = {},
  ): Promise<{ object: Obj; created: boolean }> {
    const key = this.key(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!opts.allowCreate) throw notFound(info.resource, info.group, name);
        const desired = await mutate(undefined);
        desired.metadata ??= {};
        desired.metadata.name ??= name;
        if (desired.metadata.name !== name) throw badRequest(`the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`);
        return { object: await this.create(info, namespace, desired, opts), created: true };
      }
      const current = (await this.presentAll(info, [decode(kv)]))[0]!;
      const desired = await mutate(structuredClone(current));
      try {
        return { object: await this.commitUpdate(info, current, desired, kv.modRevision, opts, kv.stale), created: false };
      } catch (err) {
        const pinned = desired.metadata?.resourceVersion !== undefined && desired.metadata.resourceVersion !== "";
        if (isStoreError(err, "Conflict") && !pinned && attempt < 5) continue;
        if (isStoreError(err, "Conflict")) throw conflict(info.resource, info.group, name);
        if (isStoreError(err, "NotFound")) throw notFound(info.resource, info.group, name);
        throw err;
      }
    }
  }

  /** Turns a desired object into the stored one and writes it, guarded by the revision it was read at. */
  private async commitUpdate(info: ResourceInfo, current: Obj, input: Obj, readRevision: number, opts: WriteOptions, stale?: boolean): Promise<Obj> {
    const name = current.metadata.name as string;
    if (!input || typeof input !== "object" || Array.isArray(input)) throw badRequest("the body of the request was not a JSON object");
    checkTypes(info, input); // as in create
    let obj = structuredClone(input);
    obj.metadata ??= {};
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== current.metadata.resourceVersion) throw conflict(info.resource, info.group, name);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== current.metadata.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    const strategy = strategyFor(info);
    const subresourceUpdate = opts.subresource ? subresourceUpdateOf(strategy, opts.subresource) : undefined;
    if (subresourceUpdate) {
      obj = subresourceUpdate.merge(current, obj);
    } else if (hasSubresource(info, "status")) {
      obj.status = current.status;
      if (obj.status === undefined) delete obj.status;
    }
    let m = obj.metadata;
    const cm = current.metadata;
    m.name = name;
    if (info.namespaced) m.namespace = cm.namespace;
    else delete m.namespace;
    // Upstream's BeforeUpdate: what the client left out is the stored object's; a uid or deletion marks of
    // its own are refused by validateObjectMetaUpdate.
    if (!m.uid) m.uid = cm.uid;
    m.creationTimestamp = cm.creationTimestamp;
    m.generation = cm.generation;
    if (cm.deletionTimestamp) {
      m.deletionTimestamp = cm.deletionTimestamp;
      if ((m.deletionGracePeriodSeconds ?? undefined) === undefined && cm.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    }
    if (m.deletionTimestamp === null) delete m.deletionTimestamp;
    if (m.deletionGracePeriodSeconds === null) delete m.deletionGracePeriodSeconds;
    if (m.managedFields === undefined && cm.managedFields) m.managedFields = cm.managedFields;
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    pruneUnknownFields(info, obj);
    strategy.defaults?.(obj);
    const attrs = this.attributes(info, "UPDATE", obj, current, opts);
    await this.admission?.admit(attrs);
    m = obj.metadata ??= {}; // a webhook's patch gives the object new metadata
    strategy.defaults?.(obj);
    if (cm.deletionTimestamp && (m.finalizers ?? []).some((f: string) => !(cm.finalizers ?? []).includes(f))) {
      throw invalid(info.kind, info.group, name, [{ type: "FieldValueForbidden", field: "metadata.finalizers", detail: "no new finalizers can be added if the object is being deleted" }]);
    }
    // A status write is the status strategy's: it changes no spec, so it bumps no generation (a Deployment's
    // controller records its revision annotation there).
    if (opts.subresource !== "status") (strategy.prepareForUpdate ?? bumpGenerationOnSpecChange)(obj, current);
    if (!tracksGeneration(info)) delete m.generation;
    this.validate(info, strategy, obj, current, subresourceUpdate, opts.warnings);
    await this.admission?.validate(attrs);
    delete m.resourceVersion;
    m.managedFields = updateManagedFields(current, obj, opts.fieldManager, groupVersion(info), opts.applied ? "Apply" : "Update", opts.subresource, opts.applied);
    if (!m.managedFields.length) delete m.managedFields;
    m.resourceVersion = cm.resourceVersion;
    // A stale value (read through an old encryption key) is rewritten even when unchanged, as upstream.
    if (sameObject(obj, current) && !stale) return current;
    if ((m.finalizers ?? []).length === 0) delete m.finalizers;
    // The last finalizer of an object being deleted went away: the delete completes now.
    if (m.deletionTimestamp && !(m.finalizers ?? []).length && (strategy.readyToDelete?.(obj) ?? true)) {
      if (opts.dryRun) return obj;
      const gone = await this.store.delete(this.key(info, cm.namespace, name), readRevision);
      await this.hooks[info.kind]?.afterDelete?.(obj);
      obj.metadata.resourceVersion = String(gone.modRevision);
      return obj;
    }
    const undo = await this.hooks[info.kind]?.beforeWrite?.(obj, current, opts);
    if (opts.dryRun) { await undo?.(); return obj; }
    delete m.resourceVersion;
    let kv: KeyValue;
    try {
      kv = await this.store.update(this.key(info, cm.namespace, name), encode(await this.toStorageVersion(info, obj)), readRevision);
    } catch (err) {
      await undo?.();
      throw err;
    }
    m.resourceVersion = String(kv.modRevision);
    await this.hooks[info.kind]?.afterUpdate?.(obj, current);
    return obj;
  }

  /** PUT: replace the object (or a subresource's part of it) as given. */
  update(info: ResourceInfo, namespace: string | undefined, name: string, input: Obj, opts: WriteOptions & { allowCreate?: boolean } = {}) {
    return this.guaranteedUpdate(info, namespace, name, () => input, opts);
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<{ object: Obj; finished: boolean }> {
    const key = this.key(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(info.resource, info.group, name);
      const current = (await this.presentAll(info, [decode(kv)]))[0]!;
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(info.resource, info.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(info.resource, info.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      if (attempt === 0 && this.admission) {
        const attrs = this.attributes(info, "DELETE", current, current, { dryRun: options.dryRun, user: options.user, warnings: options.warnings, auditAnnotate: options.auditAnnotate });
        attrs.options = deleteOptions(options);
        await this.admission.admit(attrs);
        await this.admission.validate(attrs);
      }
      // Orphaning is the garbage collector's: the orphan finalizer tells it to release the dependents first.
      const marked = this.markForDeletion(info, current, options);
      try {
        if (marked) {
          if (options.dryRun || sameObject(marked, current)) return { object: marked, finished: false };
          delete marked.metadata.resourceVersion;
          const updated = await this.store.update(key, encode(await this.toStorageVersion(info, marked)), kv.modRevision);
          marked.metadata.resourceVersion = String(updated.modRevision);
          return { object: marked, finished: false };
        }
        if (options.dryRun) return { object: current, finished: true };
        const gone = await this.store.delete(key, kv.modRevision);
        await this.hooks[info.kind]?.afterDelete?.(current);
        current.metadata.resourceVersion = String(gone.modRevision);
        return { object: current, finished: true };
      } catch (err) {
        if (isStoreError(err, "Conflict") && attempt < 5) continue;
        if (isStoreError(err, "NotFound")) throw notFound(info.resource, info.group, name);
        throw err;
      }
    }
  }

  /** The object to store instead of deleting now (finalizers, or the kind's own graceful deletion), or undefined. */
  private markForDeletion(info: ResourceInfo, current: Obj, options: DeleteOptions): Obj | undefined {
    const obj = structuredClone(current);
    const m = obj.metadata;
    const finalizers: string[] = [...(m.finalizers ?? [])];
    const policy = options.propagationPolicy;
    if (policy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
    if (policy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
    const graceful = strategyFor(info).beginGracefulDelete?.(obj, finalizers, options.gracePeriodSeconds, now());
    if (graceful !== undefined) return graceful ? obj : undefined;
    if (finalizers.length === 0) return undefined;
    m.finalizers = finalizers;
    m.deletionTimestamp ??= now();
    m.deletionGracePeriodSeconds ??= 0;
    return obj;
  }

  parseSelection(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): Selection {
    const fields = parseFieldSelector(fieldSelector ?? "");
    const allowed = new Set(["metadata.name", "metadata.namespace", ...(strategyFor(info).fieldSelectors ?? [])]);
    for (const f of fields) {
      if (!allowed.has(f.field)) throw badRequest(`field label not supported: ${f.field}`);
    }
    return { labels: parseLabelSelector(labelSelector ?? ""), fields };
  }

  matches(info: ResourceInfo, sel: Selection, obj: Obj): boolean {
    if (!matchesLabels(sel.labels, obj.metadata?.labels)) return false;
    if (!sel.fields.length) return true;
    const strategy = strategyFor(info);
    for (const f of sel.fields) {
      const v = selectableField(strategy, obj, f.field);
      if ((v === f.value) !== (f.op === "=")) return false;
    }
    return true;
  }

  async list(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    // Through a conversion webhook, each page goes to it in one review (its objects may be stored in several versions)
    // before it is selected: selectable fields are the version's, read from the object as that version shows it.
    const raw = opts.raw && !this.convertsByWebhook(info);
    return this.listPresented(info, namespace, { ...opts, raw }, (stored) => this.presentAll(info, stored));
  }

  /** The list, each item as presentPage makes it (raw JSON where it may be passed as stored). */
  private async listPresented(info: ResourceInfo, namespace: string | undefined, opts: ListOptions, presentPage: (stored: Obj[]) => Promise<Obj[]>): Promise<ListResult> {
    const sel = this.parseSelection(info, opts.labelSelector, opts.fieldSelector);
    const prefix = this.prefix(info, namespace);
    let revision = 0;
    let startKey: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue, prefix);
      revision = token.rv;
      startKey = token.start;
    } else if (opts.resourceVersion && opts.resourceVersion !== "0") {
      const rv = parseRV(opts.resourceVersion);
      if (opts.resourceVersionMatch === "Exact") revision = rv;
      else await this.waitForRevision(rv);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: Obj[] = [];
    const byName = sel.fields.find((f) => f.field === "metadata.name" && f.op === "=");
    try {
      if (byName && !startKey && (!info.namespaced || namespace)) {
        // A single-object list (every kubectl wait) reads one key, not the collection.
        const page = await this.store.list(this.key(info, namespace, byName.value), { revision });
        for (const obj of await presentPage(page.items.map(decode))) {
          if (obj.metadata.name === byName.value && this.matches(info, sel, obj)) items.push(obj);
        }
        return { items, resourceVersion: String(page.revision) };
      }
      const filtered = sel.labels.length > 0 || sel.fields.length > 0;
      const head = `{"apiVersion":${JSON.stringify(groupVersion(info))},"kind":${JSON.stringify(info.kind)},"metadata":{`;
      const defaultedOnRead = Boolean(info.crd && strategyFor(info).defaults);
      const raw: string[] | undefined = opts.raw && !filtered && !defaultedOnRead ? [] : undefined;
      const count = () => (raw ? raw.length : items.length);
      const result = (extra: Partial<ListResult> = {}): ListResult => ({ items, rawItems: raw, resourceVersion: String(revision), ...extra });
      for (;;) {
        const page = await this.store.list(prefix, { revision, limit: limit ? Math.max(limit - count(), 1) * (filtered ? 4 : 1) : 0, startKey });
        revision = page.revision;
        let lastKey: string | undefined;
        // Selected as the client sees it (its version, a custom resource's defaults), as watch selects.
        const shown = raw ? [] : await presentPage(page.items.map(decode));
        for (const [i, kv] of page.items.entries()) {
          lastKey = kv.key;
          const text = raw && rawItem(kv, head);
          if (raw) raw.push(text || JSON.stringify(this.present(info, decode(kv))));
          else {
            const obj = shown[i]!;
            if (!this.matches(info, sel, obj)) continue;
            items.push(obj);
          }
          if (limit && count() === limit) {
            const more = kv !== page.items[page.items.length - 1] || page.more;
            if (!more) return result();
            const remaining = filtered ? undefined : await this.store.count(prefix, kv.key + "\0");
            return result({ continue: encodeContinue(revision, kv.key + "\0"), remainingItemCount: remaining });
          }
        }
        if (!page.more || !lastKey) return result();
        startKey = lastKey + "\0";
      }
    } catch (err) {
      if (isStoreError(err, "Compacted")) {
        throw expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
      }
      // etcd's error does not say its current revision: ask.
      if (isStoreError(err, "FutureRevision")) throw tooLargeResourceVersion(revision, err.currentRevision ?? await this.store.currentRevision().catch(() => 0), 0);
      throw err;
    }
  }

  /**
   * A list "not older than" a revision waits for the store to reach it, as upstream's watch cache
   * waits (3 s) before answering 504 with a retry in a second: a client that read from another
   * server, one step ahead, gets fresh data, and one from the future a Timeout rather than old data.
   */
  private async waitForRevision(rv: number): Promise<void> {
    const deadline = Date.now() + TOO_LARGE_RV_WAIT_MS;
    for (;;) {
      const current = await this.store.currentRevision();
      if (current >= rv) return;
      if (Date.now() >= deadline) throw tooLargeResourceVersion(rv, current, 1);
      // The store has no revision notification to wait on; a short poll bounds the wait's lag.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  /**
   * Watches from a revision, translating store events into object events seen
   * through the selector: an object that stops matching is DELETED for this
   * watcher, one that starts matching is ADDED, as upstream's watch cache does.
   */
  watch(info: ResourceInfo, namespace: string | undefined, sel: Selection, fromRevision: number,
    onEvent: (e: ObjectEvent) => void, onError: (err: Error) => void): { close(): void } {
    const single = sel.fields.find((f) => f.field === "metadata.name" && f.op === "=");
    const prefix = single && (namespace || !info.namespaced) ? this.key(info, namespace, single.value) : this.prefix(info, namespace);
    const byWebhook = this.convertsByWebhook(info);
    const selects = sel.labels.length > 0 || sel.fields.length > 0;
    /** The event this watcher sees of a change from old to obj (both as the version shows them), if any. */
    const seen = (type: WatchEvent["type"], obj: Obj, old: Obj | undefined): ObjectEvent | undefined => {
      const now = type !== "DELETED" && this.matches(info, sel, obj);
      const before = old !== undefined && type !== "ADDED" && this.matches(info, sel, old);
      if (type === "DELETED") return before || this.matches(info, sel, obj) ? { type: "DELETED", object: obj } : undefined;
      if (now && before) return { type: "MODIFIED", object: obj };
      if (now) return { type: "ADDED", object: obj };
      return before ? { type: "DELETED", object: obj } : undefined;
    };
    // Through a conversion webhook, events are converted one after another, so they keep their order;
    // the previous object too when there is a selector, since it is matched as the version shows it.
    let converting = Promise.resolve();
    let failed = false;
    const watcher = this.store.watch(prefix, fromRevision, {
      onEvent: (e: WatchEvent) => {
        if (single && !e.kv.key.endsWith(`/${single.value}`)) return;
        const obj = decode(e.kv);
        const old = e.prevKv ? decode(e.prevKv) : undefined;
        if (!byWebhook) {
          const event = seen(e.type, this.present(info, obj), old && this.present(info, old));
          if (event) onEvent(event);
          return;
        }
        converting = converting.then(async () => {
          if (failed) return;
          const [shown, shownOld] = await this.presentAll(info, old && selects && e.type !== "ADDED" ? [obj, old] : [obj]);
          const event = seen(e.type, shown!, shownOld ?? old);
          if (event) onEvent(event);
        }).catch((err: unknown) => {
          if (failed) return;
          failed = true;
          watcher.close();
          onError(err instanceof Error ? err : new Error(String(err)));
        });
      },
      onError,
    });
    return watcher;
  }
}

/**
 * A write through status changes status and may change metadata (labels,
 * annotations), not the spec, as upstream's status strategies copy only the
 * old spec over; what metadata may never change is reset by the store.
 */
const statusUpdate: SubresourceUpdate<Obj> = { merge: (current, input) => ({ ...current, metadata: input.metadata ?? current.metadata, status: input.status }) };

function subresourceUpdateOf(strategy: Strategy, subresource: string): SubresourceUpdate<Obj> | undefined {
  return strategy.subresourceUpdates?.[subresource] ?? (subresource === "status" ? statusUpdate : undefined);
}

/** Upstream's maxNameGenerationCreateAttempts. */
const MAX_GENERATE_NAME_ATTEMPTS = 8;

/** Upstream's SimpleNameGenerator: the base cut to 58 characters, then five random ones (63 in all). */
function generateName(base: string): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  const bytes = randomBytes(5);
  return base.slice(0, 58) + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** How long a list waits for a resourceVersion the store has not reached (upstream's blockTimeout). */
const TOO_LARGE_RV_WAIT_MS = 3000;

/** Upstream's storage.NewTooLargeResourceVersionError: 504 Timeout with cause ResourceVersionTooLarge. */
function tooLargeResourceVersion(rv: number, current: number, retryAfterSeconds: number): ApiError {
  return new ApiError(504, "Timeout", `Timeout: Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  });
}

export function parseRV(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
  return Number(rv);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start })).toString("base64url");
}

function decodeContinue(token: string, prefix: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString()) as { v?: string; rv?: number; start?: string };
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string" || !t.start.startsWith(prefix)) throw new Error("bad token");
    return { rv: t.rv, start: t.start };
  } catch {
    throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
}
