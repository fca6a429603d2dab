/**
 * REST verbs on a resource: get, list, watch, create, update, patch, delete,
 * deletecollection, and the subresources that write part of an object
 * (status, finalize, approval). Other subresources are their strategy's
 * handlers (registry/subresource.ts); no kind is named here.
 */
import type { DeleteOptions as MetaDeleteOptions, ListMeta } from "kubernetes-types/meta/v1.js";
import { boolQueryParam } from "../api/query-params.js";
import { ApiError, badRequest, methodNotAllowed, pathNotFound } from "../api/errors.js";
import { applyJsonPatch } from "../api/patch/json-patch.js";
import { applyMergePatch } from "../api/patch/merge-patch.js";
import { applyStrategicMergePatch } from "../api/patch/strategic-merge-patch.js";
import { builtinResources, groupVersion, type ResourceInfo } from "../api/resources.js";
import { defaultTablePrinter, type Table, type TablePrinter } from "../api/tables.js";
import { isStoreError } from "../storage/index.js";
import { decodeBody, mediaType, readBody, sendJson, sendWarnings, wantsTable, type Request, type Response } from "./http.js";
import { serverSideApply } from "./apply.js";
import { duplicateFields } from "./duplicate-fields.js";
import { checkUnknownFields } from "./field-validation.js";
import { checkTypes } from "./type-check.js";
import { decodeProtobufObject } from "./protobuf/decode.js";
import { auditContextOf } from "./audit/index.js";
import { decodeListOptions, parseResourceVersion } from "./list-options.js";
import { type DeleteOptions, type ObjectStore, type Obj, type ObjectEvent } from "./registry/object-store.js";
import { strategyFor } from "./registry/strategies.js";
import type { Strategy } from "./registry/strategy.js";
import type { SubresourceCall, SubresourceServices } from "./registry/subresource.js";
import type { UserInfo } from "./authentication/user-info.js";

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

const boolParam = boolQueryParam;

/** The verb a method is on a subresource, as its SubresourceInfo lists them. */
const SUBRESOURCE_VERBS: Record<string, string> = { GET: "get", POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

export class ResourceHandler {
  private readonly services: SubresourceServices;

  /**
   * services: what subresource handlers need from the server besides storage (kubelets, the token issuer...).
   * watchEvent: told of every event sent to a watcher (apiserver_watch_events_total).
   */
  constructor(private readonly objects: ObjectStore, services: Omit<SubresourceServices, "objects">, private readonly watchEvent?: (group: string, version: string, kind: string, bytes: number) => void) {
    this.services = { ...services, objects };
  }

  async handle(req: Request, res: Response, request: ResourceRequest): Promise<void> {
    const audit = auditContextOf(req);
    const r = { ...request, warnings: request.warnings ?? [], auditAnnotate: audit ? (k: string, v: string) => audit.annotate(k, v) : undefined };
    const method = req.method ?? "GET";
    const sub = r.subresource;
    if (sub) {
      // As upstream's router: no route for an unknown subresource (whether or not the object exists),
      // none for a method the subresource does not serve.
      const served = r.info.subresources.find((s) => s.name === sub);
      if (!served) throw pathNotFound();
      const verb = SUBRESOURCE_VERBS[method];
      if (verb && !served.verbs.includes(verb)) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      const strategy = strategyFor(r.info);
      const own = strategy.subresources?.[sub];
      if (own) return own(this.subresourceCall(req, res, r, sub), this.services);
      if (!writesPart(strategy, sub) || !verb) throw methodNotAllowed(method, `${r.info.resource}/${sub}`);
    }
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

  private subresourceCall(req: Request, res: Response, r: ResourceRequest & { warnings: string[] }, subresource: string): SubresourceCall {
    return {
      req, res, info: r.info, namespace: r.namespace, name: r.name!, subresource, query: r.query, user: r.user, warnings: r.warnings,
      writeOptions: () => this.writeOptions(r, req.headers["user-agent"]),
      readObject: async () => (await this.readObject(req, r)).obj,
    };
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
  private async readObject(req: Request, r: ResourceRequest): Promise<{ obj: Obj; text?: string }> {
    const type = mediaType(req);
    if (type && type !== "application/json" && type !== "application/yaml" && type !== "*/*") {
      // Custom resources have no protobuf form: upstream's negotiation offers them JSON and YAML only.
      if (type === "application/vnd.kubernetes.protobuf" && r.info.crd) {
        throw new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
      }
      if (type === "application/vnd.kubernetes.protobuf") {
        const obj = decodeProtobufObject(await readBody(req), { kind: expectedKind(r) });
        auditContextOf(req)?.setRequestObject(obj); // audit: the request object (upstream's LogRequestObject)
        return { obj: obj as Obj };
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
    if (r.subresource === "status") return;
    checkApiVersion(r.info, obj);
    if (obj.kind !== undefined && obj.kind !== r.info.kind) {
      throw badRequest(`the object provided is unrecognized (must be of type ${r.info.kind}): ${obj.kind} is not ${r.info.kind}`);
    }
  }

  private async create(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const { obj, text } = await this.readObject(req, r);
    this.checkKind(r, obj);
    checkTypes(r.info, obj);
    this.fieldValidation(res, r, obj, text);
    const created = await this.objects.create(r.info, r.namespace, obj, this.writeOptions(r, req.headers["user-agent"]));
    this.send(req, res, r, 201, created);
  }

  private async update(req: Request, res: Response, r: ResourceRequest): Promise<void> {
    const { obj, text } = await this.readObject(req, r);
    this.checkKind(r, obj);
    checkTypes(r.info, obj);
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
      // Custom resources have no patch strategy to merge by: upstream lists the patch types they take.
      const accepted = [...PATCH_TYPES].filter((t) => t !== "application/strategic-merge-patch+json");
      throw new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`);
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
    // client-go sends DeleteOptions in the client's content type, protobuf included.
    const body: MetaDeleteOptions = !raw.length ? {}
      : mediaType(req) === "application/vnd.kubernetes.protobuf" ? decodeProtobufObject(raw, { kind: "DeleteOptions" })
      : raw.toString().trim() ? (decodeBody(raw, "application/json") as MetaDeleteOptions) : {};
    const q = r.query;
    const options: DeleteOptions = {
      gracePeriodSeconds: body.gracePeriodSeconds ?? (q.has("gracePeriodSeconds") ? Number(q.get("gracePeriodSeconds")) : undefined),
      propagationPolicy: (body.propagationPolicy as DeleteOptions["propagationPolicy"]) ?? (q.get("propagationPolicy") as DeleteOptions["propagationPolicy"]) ?? undefined,
      preconditions: body.preconditions,
      dryRun: (body.dryRun ?? q.getAll("dryRun")).length > 0,
      user: r.user,
      warnings: r.warnings,
      auditAnnotate: r.auditAnnotate,
    };
    if (typeof body.orphanDependents === "boolean" && !options.propagationPolicy) options.propagationPolicy = body.orphanDependents ? "Orphan" : "Background";
    if (!options.propagationPolicy) {
      const strategy = strategyFor(r.info);
      if (strategy.defaultGarbageCollectionPolicy?.(r.info.version) === "Orphan") {
        options.propagationPolicy = "Orphan";
        if (strategy.orphanByDefaultWarning) r.warnings?.push(strategy.orphanByDefaultWarning);
      }
    }
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
        items.push((await this.objects.delete(r.info, item.metadata.namespace, item.metadata.name ?? "", options)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      }
    }
    sendJson(res, 200, { kind: `${r.info.kind}List`, apiVersion: groupVersion(r.info), metadata: { resourceVersion: list.resourceVersion }, items });
  }

  private listOptions(r: ResourceRequest) {
    const q = r.query;
    const { limit } = decodeListOptions(q);
    parseResourceVersion(q.get("resourceVersion") ?? "");
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
    const metadata: ListMeta = { resourceVersion: result.resourceVersion };
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
    const decoded = decodeListOptions(q);
    const sel = this.objects.parseSelection(r.info, q.get("labelSelector") ?? "", [q.get("fieldSelector"), r.name ? `metadata.name=${r.name}` : ""].filter(Boolean).join(","));
    const rv = q.get("resourceVersion") ?? "";
    const table = wantsTable(req.headers.accept);
    const include = q.get("includeObject") ?? "Metadata";
    const bookmarks = boolParam(q, "allowWatchBookmarks");
    // As upstream: none or zero is the server's own (--min-request-timeout, 30 minutes); a negative one has passed already.
    const timeoutSeconds = decoded.timeoutSeconds || 1800;
    let first = true;
    const encode = (e: ObjectEvent | { type: "BOOKMARK" | "ERROR"; object: Obj }): string => {
      let object: Obj | Table = e.object;
      if (table && (e.type === "ADDED" || e.type === "MODIFIED" || e.type === "DELETED")) {
        object = this.table(r, [e.object], include, first);
        first = false;
      }
      const line = JSON.stringify({ type: e.type, object }) + "\n";
      this.watchEvent?.(r.info.group, r.info.version, r.info.kind, Buffer.byteLength(line));
      return line;
    };
    let from: number;
    const initial: Obj[] = [];
    if (rv === "" || rv === "0") {
      const listed = await this.objects.list(r.info, r.namespace, { labelSelector: q.get("labelSelector") ?? "", fieldSelector: sel.fields.map((f) => `${f.field}${f.op}${f.value}`).join(",") });
      initial.push(...listed.items);
      from = Number(listed.resourceVersion);
    } else {
      from = parseResourceVersion(rv);
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
    const timer = setTimeout(close, Math.max(0, timeoutSeconds) * 1000);
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
}

/** Upstream names an unnamed writer after its user agent's program, e.g. "kubectl". */
function managerFromUserAgent(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  return ua.split("/")[0]?.slice(0, 128) || undefined;
}

/** Whether a subresource is served by the generic verbs, writing part of the object. */
function writesPart(strategy: Strategy, subresource: string): boolean {
  return subresource === "status" || Boolean(strategy.subresourceUpdates?.[subresource]);
}

/**
 * A body's apiVersion must be the URL's (upstream's RequestScope.AcceptsGroupVersion). A built-in
 * kind the scheme does not know at that version fails to decode first, with the decoder's message;
 * the kinds served here stand for the scheme's (it also knows some unserved older versions).
 */
function checkApiVersion(info: ResourceInfo, obj: Obj): void {
  const data = obj.apiVersion;
  const expected = groupVersion(info);
  if (data === undefined || data === "" || data === expected) return;
  const kind = typeof obj.kind === "string" && obj.kind ? obj.kind : info.kind;
  if (!info.crd && !builtinResources.some((b) => groupVersion(b) === data && b.kind === kind)) {
    const version = String(data).split("/").pop();
    throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${info.kind}: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(data)} in scheme "pkg/api/legacyscheme/scheme.go:30"`);
  }
  throw badRequest(`the API version in the data (${data}) does not match the expected API version (${expected})`);
}

/** The kind a request's body should be: the subresource's own (Scale, Binding, Eviction) or the resource's. */
function expectedKind(r: ResourceRequest): string {
  return r.info.subresources.find((s) => s.name === r.subresource)?.kind?.kind ?? r.info.kind;
}
