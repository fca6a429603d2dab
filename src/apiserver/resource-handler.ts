/**
 * REST verbs on a resource: get, list, watch, create, update, patch, delete,
 * deletecollection, and the status, scale, binding and eviction subresources.
 */
import { ApiError, badRequest, methodNotAllowed, notFound } from "../api/errors.js";
import type { KubeletProxy } from "./kubelet-proxy.js";
import { applyJsonPatch } from "../api/patch/json-patch.js";
import { applyMergePatch } from "../api/patch/merge-patch.js";
import { applyStrategicMergePatch } from "../api/patch/strategic-merge-patch.js";
import { groupVersion, hasSubresource, type ResourceInfo } from "../api/resources.js";
import { formatLabelSelector, labelSelectorRequirements, matchesLabels } from "../api/selectors.js";
import { defaultTablePrinter, type Table, type TablePrinter } from "../api/tables.js";
import { isStoreError } from "../storage/index.js";
import { decodeBody, mediaType, readBody, sendJson, wantsTable, type Request, type Response } from "./http.js";
import { serverSideApply } from "./apply.js";
import { duplicateFields } from "./duplicate-fields.js";
import { checkUnknownFields } from "./field-validation.js";
import { checkTypes } from "./type-check.js";
import { decodeProtobufObject } from "./protobuf/decode.js";
import { auditContextOf } from "./audit/index.js";
import { parseRV, type DeleteOptions, type ObjectStore, type Obj, type ObjectEvent } from "./registry/object-store.js";
import { rfc3339 } from "../api/time.js";
import { strategyFor } from "./registry/strategies.js";
import type { UserInfo } from "./authentication/user-info.js";
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { TokenRequestCall } from "./registry/core/serviceaccounts/token-request.js";

export interface ResourceRequest {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  user: UserInfo;
  /** Warnings for the client (unknown fields, admission's), sent as `Warning: 299` headers. */
  warnings?: string[];
  /** Annotates the request's audit event, when it is audited. */
  auditAnnotate?: (key: string, value: string) => void;
}

const PATCH_TYPES = new Set([
  "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml",
]);

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === "true" || v === "1";
}

export class ResourceHandler {
  /** serviceaccounts/token: issues a TokenRequest (see registry/core/serviceaccounts/token-request.ts). */
  tokenRequests?: (call: TokenRequestCall, addWarning: (text: string) => void) => Promise<TokenRequest>;

  /** budgets: where PodDisruptionBudgets live, for the eviction subresource. */
  constructor(private readonly objects: ObjectStore, private readonly budgets?: ResourceInfo, private readonly kubelets?: KubeletProxy) {}

  async handle(req: Request, res: Response, request: ResourceRequest): Promise<void> {
    const audit = auditContextOf(req);
    const r = { ...request, warnings: request.warnings ?? [], auditAnnotate: audit ? (k: string, v: string) => audit.annotate(k, v) : undefined };
    const method = req.method ?? "GET";
    const sub = r.subresource;
    if (sub && !hasSubresource(r.info, sub)) throw notFound(r.info.resource, r.info.group, r.name ?? "");
    if (sub === "scale") return this.scale(req, res, r);
    if (sub === "binding") return this.binding(req, res, r);
    if (sub === "eviction") return this.eviction(req, res, r);
    if (sub === "token") return this.tokenRequest(req, res, r);
    if (sub === "log" && this.kubelets && method === "GET") return this.kubelets.log(r.namespace!, r.name!, r.query, res);
    if (sub === "log" || sub === "exec" || sub === "attach" || sub === "portforward") return this.streaming(r);
    if (sub === "finalize" && method !== "PUT") throw methodNotAllowed(method, `${r.info.resource}/${sub}`);
    if (sub && sub !== "status" && sub !== "finalize" && sub !== "approval") throw methodNotAllowed(method, `${r.info.resource}/${sub}`);
    switch (method) {
      case "GET":
        if (boolParam(r.query, "watch")) return this.watch(req, res, r);
        if (r.name) return this.send(req, res, r, 200, await this.objects.get(r.info, r.namespace, r.name));
        return this.list(req, res, r);
      case "POST":
        if (r.name) throw methodNotAllowed("POST", r.info.resource);
        return this.create(req, res, r);
      case "PUT":
        if (!r.name) throw methodNotAllowed("PUT", r.info.resource);
        return this.update(req, res, r);
      case "PATCH":
        if (!r.name) throw methodNotAllowed("PATCH", r.info.resource);
        return this.patch(req, res, r);
      case "DELETE":
        return r.name ? this.delete(req, res, r) : this.deleteCollection(req, res, r);
      default:
        throw methodNotAllowed(method, r.info.resource);
    }
  }

  private writeOptions(r: ResourceRequest, userAgent: string | undefined) {
    const dryRun = r.query.getAll("dryRun");
    if (dryRun.some((d) => d !== "All")) throw badRequest(`Invalid dry run value: ${dryRun.join(",")}`);
    const fm = r.query.get("fieldManager") ?? managerFromUserAgent(userAgent);
    return { dryRun: dryRun.length > 0, fieldManager: fm, subresource: r.subresource, user: r.user, warnings: r.warnings, auditAnnotate: r.auditAnnotate };
  }

  /** fieldValidation=Strict refuses unknown fields (400), Warn reports them in a Warning header. */
  private fieldValidation(res: Response, r: ResourceRequest, body: Obj, jsonText?: string): void {
    const mode = r.query.get("fieldValidation") ?? "Warn";
    if (mode === "Ignore") return;
    const problems = [
      ...checkUnknownFields(r.info, body).map((u) => `unknown field "${u}"`),
      ...(jsonText ? duplicateFields(jsonText) : []).map((d) => `duplicate field "${d}"`),
    ];
    if (!problems.length) return;
    if (mode === "Strict") throw badRequest(`strict decoding error: ${problems.join(", ")}`);
    void res;
    r.warnings?.push(...problems);
  }

  /** The request's object, and its JSON text when it came as JSON (for duplicate-field checks). */
  private async readObject(req: Request): Promise<{ obj: Obj; text?: string }> {
    const type = mediaType(req);
    if (type && type !== "application/json" && type !== "application/yaml" && type !== "*/*") {
      if (type === "application/vnd.kubernetes.protobuf") {
        const obj = decodeProtobufObject(await readBody(req));
        auditContextOf(req)?.setRequestObject(obj); // audit: the request object (upstream's LogRequestObject)
        return { obj };
      }
      throw new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    }
    const raw = await readBody(req);
    const body = decodeBody(raw, type || "application/json");
    if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("the body of the request was not a JSON object");
    auditContextOf(req)?.setRequestObject(body); // audit: the request object (upstream's LogRequestObject)
    return { obj: body as Obj, text: type === "application/yaml" ? undefined : raw.toString("utf8") };
  }

  private checkKind(r: ResourceRequest, obj: Obj): void {
    if (obj.kind !== undefined && obj.kind !== r.info.kind && !(r.subresource === "status")) {
      throw badRequest(`the object provided is unrecognized (must be of type ${r.info.kind}): ${obj.kind} is not ${r.info.kind}`);
    }
  }

  private async create(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const { obj, text } = await this.readObject(req);
    checkTypes(r.info, obj);
    this.checkKind(r, obj);
    this.fieldValidation(res, r, obj, text);
    const created = await this.objects.create(r.info, r.namespace, obj, this.writeOptions(r, req.headers["user-agent"]));
    this.send(req, res, r, 201, created);
  }

  private async update(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const { obj, text } = await this.readObject(req);
    checkTypes(r.info, obj);
    this.checkKind(r, obj);
    this.fieldValidation(res, r, obj, text);
    const allowCreate = Boolean(strategyFor(r.info).allowCreateOnUpdate);
    const result = await this.objects.update(r.info, r.namespace, r.name!, obj, { ...this.writeOptions(r, req.headers["user-agent"]), allowCreate: allowCreate && !r.subresource });
    this.send(req, res, r, result.created ? 201 : 200, result.object);
  }

  private async patch(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const type = mediaType(req);
    if (!PATCH_TYPES.has(type)) {
      throw new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES].join(", ")}`);
    }
    if (type === "application/strategic-merge-patch+json" && r.info.crd) {
      throw new ApiError(415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources; use a JSON merge patch");
    }
    const raw = await readBody(req);
    const patch = decodeBody(raw, type);
    auditContextOf(req)?.setRequestObject(patch); // audit: the patch is the request object (upstream's LogRequestPatch)
    const jsonText = type === "application/apply-patch+yaml" && !raw.toString("utf8").trimStart().startsWith("{") ? undefined : raw.toString("utf8");
    const opts = this.writeOptions(r, req.headers["user-agent"]);
    if (type === "application/apply-patch+yaml") {
      if (!r.query.get("fieldManager")) throw new ApiError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
      if (!patch || typeof patch !== "object" || Array.isArray(patch)) throw badRequest("apply patch must be an object");
      checkTypes(r.info, patch);
      this.fieldValidation(res, r, patch as Obj, jsonText);
      const result = await serverSideApply(this.objects, r.info, r.namespace, r.name!, patch as Obj, { ...opts, force: boolParam(r.query, "force") });
      return this.send(req, res, r, result.created ? 201 : 200, result.object);
    }
    if (type !== "application/json-patch+json" && patch && typeof patch === "object" && !Array.isArray(patch)) {
      this.fieldValidation(res, r, patch as Obj, jsonText);
    }
    const result = await this.objects.guaranteedUpdate(r.info, r.namespace, r.name!, (current) => {
      const base = current!;
      let next: unknown;
      if (type === "application/json-patch+json") next = applyJsonPatch(base, patch);
      else if (type === "application/merge-patch+json") next = applyMergePatch(base, patch);
      else next = applyStrategicMergePatch(base, patch);
      const out = next as Obj;
      if (!out || typeof out !== "object" || Array.isArray(out)) throw badRequest("the patch did not produce an object");
      checkTypes(r.info, out, { from: "patch", quoted: JSON.stringify(type === "application/strategic-merge-patch+json" ? patch : out) });
      // A resourceVersion in the patch is a precondition; otherwise the write follows what it read.
      const pinned = Array.isArray(patch) ? undefined : (patch as Obj)?.metadata?.resourceVersion;
      out.metadata ??= {};
      if (pinned === undefined && out.metadata.resourceVersion === base.metadata.resourceVersion) delete out.metadata.resourceVersion;
      return out;
    }, opts);
    this.send(req, res, r, 200, result.object);
  }

  private async delete(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const options = await this.deleteOptions(req, r);
    const result = await this.objects.delete(r.info, r.namespace, r.name!, options);
    this.send(req, res, r, result.finished ? 200 : 202, result.object);
  }

  private async deleteOptions(req: Request, r: ResourceRequest): Promise<DeleteOptions> {
    const raw = await readBody(req);
    const body = raw.length && raw.toString().trim() ? (decodeBody(raw, "application/json") as Obj) : {};
    const q = r.query;
    const options: DeleteOptions = {
      gracePeriodSeconds: body.gracePeriodSeconds ?? (q.has("gracePeriodSeconds") ? Number(q.get("gracePeriodSeconds")) : undefined),
      propagationPolicy: body.propagationPolicy ?? (q.get("propagationPolicy") as DeleteOptions["propagationPolicy"]) ?? undefined,
      preconditions: body.preconditions,
      dryRun: (body.dryRun ?? q.getAll("dryRun")).length > 0,
      user: r.user,
      warnings: r.warnings,
      auditAnnotate: r.auditAnnotate,
    };
    if (body.orphanDependents === true && !options.propagationPolicy) options.propagationPolicy = "Orphan";
    if (options.propagationPolicy && !["Background", "Foreground", "Orphan"].includes(options.propagationPolicy)) {
      throw new ApiError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
    }
    return options;
  }

  private async deleteCollection(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const options = await this.deleteOptions(req, r);
    const list = await this.objects.list(r.info, r.namespace, { labelSelector: r.query.get("labelSelector") ?? "", fieldSelector: r.query.get("fieldSelector") ?? "" });
    const items: Obj[] = [];
    for (const item of list.items) {
      try {
        items.push((await this.objects.delete(r.info, item.metadata.namespace, item.metadata.name, options)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
    sendJson(res, 200, { kind: `${r.info.kind}List`, apiVersion: groupVersion(r.info), metadata: { resourceVersion: list.resourceVersion }, items });
  }

  private listOptions(r: ResourceRequest) {
    const q = r.query;
    const limit = q.has("limit") ? Number(q.get("limit")) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw badRequest(`invalid limit ${q.get("limit")}`);
    return {
      labelSelector: q.get("labelSelector") ?? "",
      fieldSelector: q.get("fieldSelector") ?? "",
      limit,
      continue: q.get("continue") ?? undefined,
      resourceVersion: q.get("resourceVersion") ?? undefined,
      resourceVersionMatch: q.get("resourceVersionMatch") ?? undefined,
    };
  }

  private async list(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const table = wantsTable(req.headers.accept);
    const result = await this.objects.list(r.info, r.namespace, { ...this.listOptions(r), raw: !table });
    const metadata: Obj = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    if (table) {
      const t = this.table(r, result.items, r.query.get("includeObject") ?? "Metadata");
      t.metadata = metadata;
      return sendJson(res, 200, t);
    }
    const head = { kind: `${r.info.kind}List`, apiVersion: groupVersion(r.info), metadata };
    if (result.rawItems) return sendJson(res, 200, `${JSON.stringify(head).slice(0, -1)},"items":[${result.rawItems.join(",")}]}`);
    sendJson(res, 200, { ...head, items: result.items });
  }

  private table(r: ResourceRequest, items: Obj[], include: string, withColumns = true): Table {
    const printer: TablePrinter<Obj> = strategyFor(r.info).printer ?? defaultTablePrinter;
    const now = Date.now();
    return {
      kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: {},
      columnDefinitions: withColumns ? printer.columns : [],
      rows: items.map((o) => ({
        cells: printer.row(o, now),
        object: include === "Object" ? o : include === "None" ? null : {
          kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1",
          metadata: o.metadata,
        },
      })),
    };
  }

  private send(req: Request, res: Response, r: ResourceRequest, code: number, obj: Obj): void {
    sendWarnings(res, r.warnings);
    if (wantsTable(req.headers.accept)) {
      const t = this.table(r, [obj], r.query.get("includeObject") ?? "Metadata");
      t.metadata = { resourceVersion: obj.metadata?.resourceVersion };
      return sendJson(res, code, t);
    }
    sendJson(res, code, obj);
  }

  private async watch(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const q = r.query;
    const sel = this.objects.parseSelection(r.info, q.get("labelSelector") ?? "", [q.get("fieldSelector"), r.name ? `metadata.name=${r.name}` : ""].filter(Boolean).join(","));
    const rv = q.get("resourceVersion") ?? "";
    const table = wantsTable(req.headers.accept);
    const include = q.get("includeObject") ?? "Metadata";
    const bookmarks = boolParam(q, "allowWatchBookmarks");
    const timeoutSeconds = q.has("timeoutSeconds") ? Number(q.get("timeoutSeconds")) : 1800;
    let first = true;
    const encode = (e: ObjectEvent | { type: "BOOKMARK" | "ERROR"; object: Obj }): string => {
      let object = e.object;
      if (table && (e.type === "ADDED" || e.type === "MODIFIED" || e.type === "DELETED")) {
        object = this.table(r, [e.object], include, first);
        first = false;
      }
      return JSON.stringify({ type: e.type, object }) + "\n";
    };
    let from: number;
    const initial: Obj[] = [];
    if (rv === "" || rv === "0") {
      const listed = await this.objects.list(r.info, r.namespace, { labelSelector: q.get("labelSelector") ?? "", fieldSelector: sel.fields.map((f) => `${f.field}${f.op}${f.value}`).join(",") });
      initial.push(...listed.items);
      from = Number(listed.resourceVersion);
    } else {
      from = parseRV(rv);
    }
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache, private" });
    // Watchers wait for the headers before anything else; HTTP/1.1 holds them until the first write.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
    const write = (text: string) => { if (!res.writableEnded) (res as { write(s: string): boolean }).write(text); };
    for (const obj of initial) write(encode({ type: "ADDED", object: obj }));
    let lastRV = from;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      watcher.close();
      clearTimeout(timer);
      clearInterval(bookmarkTimer);
      if (!res.writableEnded) res.end();
    };
    const watcher = this.objects.watch(r.info, r.namespace, sel, from, (e) => {
      lastRV = Number(e.object.metadata.resourceVersion);
      write(encode(e));
    }, (err) => {
      if (isStoreError(err, "Compacted")) {
        const current = err.currentRevision ?? 0;
        write(JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${from} (${current})`, reason: "Expired", code: 410 } }) + "\n");
      }
      close();
    });
    const timer = setTimeout(close, Math.max(1, timeoutSeconds) * 1000);
    const bookmarkTimer = setInterval(() => {
      if (!bookmarks) return;
      void this.objects.currentRevision().then((rev) => {
        lastRV = Math.max(lastRV, rev);
        write(JSON.stringify({ type: "BOOKMARK", object: { kind: r.info.kind, apiVersion: groupVersion(r.info), metadata: { resourceVersion: String(lastRV) } } }) + "\n");
      }, () => undefined);
    }, 30_000);
    req.on("close", close);
    res.on("close", close);
  }

  /** GET, PUT and PATCH of autoscaling/v1 Scale, mapped onto spec.replicas. */
  private async scale(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const toScale = (o: Obj): Obj => ({
      kind: "Scale", apiVersion: "autoscaling/v1",
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: replicasOf(r.info, o) ?? 0 },
      status: { replicas: statusReplicasOf(r.info, o) ?? 0, selector: selectorOf(r.info, o) },
    });
    const method = req.method;
    if (method === "GET") return sendJson(res, 200, toScale(await this.objects.get(r.info, r.namespace, r.name!)));
    if (method !== "PUT" && method !== "PATCH") throw methodNotAllowed(method ?? "", `${r.info.resource}/scale`);
    const type = mediaType(req);
    const body = decodeBody(await readBody(req), method === "PUT" ? "application/json" : type) as Obj;
    const opts = { ...this.writeOptions(r, req.headers["user-agent"]), subresource: "scale" };
    const result = await this.objects.guaranteedUpdate(r.info, r.namespace, r.name!, (current) => {
      const scale = toScale(current!);
      let next: Obj;
      if (method === "PUT") next = body;
      else if (type === "application/json-patch+json") next = applyJsonPatch(scale, body) as Obj;
      else next = applyMergePatch(scale, body) as Obj;
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== current!.metadata.resourceVersion) throw conflictOn(r, current!);
      const replicas = next.spec?.replicas;
      if (typeof replicas !== "number" || replicas < 0 || !Number.isInteger(replicas)) {
        throw new ApiError(422, "Invalid", `Scale.autoscaling "${r.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name: r.name, group: "autoscaling", kind: "Scale", causes: [{ reason: "FieldValueInvalid", message: "must be greater than or equal to 0", field: "spec.replicas" }] });
      }
      const updated = structuredClone(current!);
      setReplicas(r.info, updated, replicas);
      delete updated.metadata.resourceVersion;
      return updated;
    }, { ...opts, subresource: undefined });
    sendJson(res, 200, toScale(result.object));
  }

  /** Logs, exec, attach and port-forward are served by the pod's kubelet, as upstream proxies them. */
  private async streaming(r: ResourceRequest): Promise<never> {
    const pod = await this.objects.get(r.info, r.namespace, r.name!);
    const node = pod.spec?.nodeName;
    if (!node) throw new ApiError(400, "BadRequest", `pod ${r.name} does not have a host assigned`);
    if (r.subresource === "exec" || r.subresource === "attach") throw new ApiError(400, "BadRequest", `pods/${r.subresource} needs a WebSocket upgrade (v5.channel.k8s.io)`);
    throw new ApiError(400, "BadRequest", `pods/${r.subresource} is not supported by this server yet`);
  }

  private async tokenRequest(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    if (req.method !== "POST" || !this.tokenRequests) throw methodNotAllowed(req.method ?? "", `${r.info.resource}/token`);
    const { obj } = await this.readObject(req);
    const out = await this.tokenRequests({ namespace: r.namespace!, name: r.name!, body: obj, user: r.user }, (w) => r.warnings?.push(w));
    sendWarnings(res, r.warnings);
    sendJson(res, 201, out);
  }

  private async binding(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    if (req.method !== "POST") throw methodNotAllowed(req.method ?? "", "pods/binding");
    const body = decodeBody(await readBody(req), "application/json") as Obj;
    const node = body.target?.name;
    if (!node) throw new ApiError(422, "Invalid", `Binding "${r.name}" is invalid: target.name: Required value`);
    await this.objects.guaranteedUpdate(r.info, r.namespace, r.name!, (pod) => {
      if (pod!.spec.nodeName) throw new ApiError(409, "Conflict", `Operation cannot be fulfilled on pods/binding "${r.name}": pod ${r.name} is already assigned to node "${pod!.spec.nodeName}"`);
      pod!.spec.nodeName = node;
      pod!.status ??= {};
      const conds: Obj[] = (pod!.status.conditions ??= []);
      const now = rfc3339();
      const idx = conds.findIndex((c) => c.type === "PodScheduled");
      const cond = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now };
      if (idx >= 0) conds[idx] = cond; else conds.push(cond);
      return pod!;
    }, { ...this.writeOptions(r, req.headers["user-agent"]), subresource: "binding" });
    sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
  }

  private async eviction(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    if (req.method !== "POST") throw methodNotAllowed(req.method ?? "", "pods/eviction");
    const body = decodeBody(await readBody(req), "application/json") as Obj;
    const pod = await this.objects.get(r.info, r.namespace, r.name!);
    await this.objects.admitSubresource(r.info, "eviction", { apiVersion: "policy/v1", kind: "Eviction", ...body }, pod, this.writeOptions(r, req.headers["user-agent"]));
    if (this.budgets && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !pod.metadata.deletionTimestamp) {
      // Each budget that covers the pod must allow one more disruption; taking it is a
      // guarded write, so two evictions never spend the same allowance.
      const pdbs = (await this.objects.list(this.budgets, r.namespace)).items
        .filter((b) => matchesLabels(labelSelectorRequirements(b.spec?.selector ?? {}), pod.metadata.labels));
      for (const pdb of pdbs) {
        await this.objects.guaranteedUpdate(this.budgets, r.namespace, pdb.metadata.name, (cur) => {
          if ((cur!.status?.disruptionsAllowed ?? 0) < 1) {
            throw new ApiError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", {
              causes: [{ reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata.name} needs ${cur!.status?.desiredHealthy ?? 0} healthy pods and has ${cur!.status?.currentHealthy ?? 0} currently` }],
            });
          }
          return { ...cur!, status: { ...cur!.status, disruptionsAllowed: cur!.status.disruptionsAllowed - 1 } };
        }, { subresource: "status", fieldManager: "skiff-apiserver" });
      }
    }
    await this.objects.delete(r.info, r.namespace, r.name!, { ...(body.deleteOptions ?? {}), user: r.user });
    sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
  }
}

function conflictOn(r: ResourceRequest, o: Obj): ApiError {
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${r.info.group ? `${r.info.resource}.${r.info.group}` : r.info.resource} "${o.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: o.metadata.name, group: r.info.group, kind: r.info.resource });
}

function getPath(o: Obj, path: string | undefined): unknown {
  let cur: unknown = o;
  for (const p of (path ?? "").replace(/^\./, "").split(".")) {
    if (!p) continue;
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

function replicasOf(info: ResourceInfo, o: Obj): number | undefined {
  return info.crd ? (getPath(o, info.crd.scaleSpecReplicasPath) as number | undefined) : o.spec?.replicas;
}

function statusReplicasOf(info: ResourceInfo, o: Obj): number | undefined {
  return info.crd ? (getPath(o, info.crd.scaleStatusReplicasPath) as number | undefined) : o.status?.replicas;
}

function selectorOf(info: ResourceInfo, o: Obj): string {
  if (info.crd) return String(getPath(o, info.crd.scaleLabelSelectorPath) ?? "");
  const sel = o.spec?.selector;
  if (sel && !sel.matchLabels && !sel.matchExpressions) return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(",");
  return formatLabelSelector(sel);
}

function setReplicas(info: ResourceInfo, o: Obj, n: number): void {
  if (!info.crd) {
    o.spec ??= {};
    o.spec.replicas = n;
    return;
  }
  const parts = (info.crd.scaleSpecReplicasPath ?? ".spec.replicas").replace(/^\./, "").split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {});
  cur[parts[parts.length - 1]!] = n;
}

/** Warnings as upstream sends them: one `299 - "text"` value each. */
function sendWarnings(res: Response, warnings: string[] | undefined): void {
  if (!warnings?.length || res.headersSent) return;
  res.setHeader("warning", warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(", "));
}

/** Upstream names an unnamed writer after its user agent's program, e.g. "kubectl". */
function managerFromUserAgent(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  return ua.split("/")[0]?.slice(0, 128) || undefined;
}
