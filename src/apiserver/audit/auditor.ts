/**
 * The audit stage of the request chain, as upstream's WithAudit filter: a
 * request's event is made once it is authenticated, its level decided by the
 * policy, and sent to the backend at each stage the policy keeps:
 * RequestReceived at begin, ResponseStarted when a long-running request
 * (watch, exec, logs -f, proxy) sends its headers, ResponseComplete when the
 * response ends, Panic when the handler fails unexpectedly.
 */
import { randomUUID } from "node:crypto";
import type { UserInfo } from "../authentication/user-info.js";
import { PolicyEvaluator, type AuditAttributes, type RequestAuditConfig } from "./policy.js";
import type { AuditMetrics } from "./metrics.js";
import { levelAtLeast, type Event, type EventUser, type Policy, type ResponseStatus, type Stage } from "./types.js";

/** Where events go; called synchronously, once per stage (the backend keeps its own copy). */
export interface AuditBackend {
  processEvent(event: Event): void;
}

export interface AuditRequest {
  /** The authorizer attributes of the request (user absent when authentication failed). */
  attributes: AuditAttributes;
  /** Path and query as received. */
  requestURI: string;
  sourceIPs: string[];
  userAgent?: string;
  /** The client's Audit-ID header, when it sent one; otherwise a fresh UUID is made. */
  auditID?: string;
  /** Watches and streams: their ResponseStarted event is sent when headers go out. */
  longRunning?: boolean;
}

/** The minimum of a Node response that observe() hooks (http1 ServerResponse and http2 compatibility response). */
export interface ObservableResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  getHeader(name: string): unknown;
  writeHead(...args: unknown[]): unknown;
  write(...args: unknown[]): unknown;
  end(...args: unknown[]): unknown;
  once(event: "finish" | "close", listener: () => void): unknown;
}

/** One request's audit event. Every method is a no-op at level None. */
export interface AuditContext {
  readonly auditID: string;
  readonly level: RequestAuditConfig["level"];
  /** Impersonation succeeded: the user the request now acts as (the policy already matched the requester). */
  impersonated(user: UserInfo): void;
  /** authorization.k8s.io/decision, pod-security.kubernetes.io/..., and the like. The first value for a key stays. */
  annotate(key: string, value: string): void;
  /** The decoded request body (create, update) or the patch: fills objectRef; kept as requestObject from level Request. */
  setRequestObject(obj: unknown): void;
  /** The response's headers went out (for long-running requests this sends ResponseStarted). */
  responseStarted(code: number): void;
  /** The response ended: sends ResponseComplete. A Status body fills responseStatus; any body is responseObject at RequestResponse. */
  complete(code: number, body?: unknown): void;
  /** The handler threw unexpectedly: sends Panic with a 500 status. */
  panic(err: unknown): void;
  /**
   * Sets the Audit-Id header and calls responseStarted and complete from the response itself, capturing a JSON
   * body when needed. The context is then found from the response, and from req when given (auditContextOf).
   */
  observe(res: ObservableResponse, req?: object): void;
}

/** Each request's audit context, found from its request or response, as upstream finds it in the request's context. */
const contexts = new WeakMap<object, AuditContext>();

/** The audit context of a request or response that observe() was given; undefined when the request is not audited. */
export function auditContextOf(reqOrRes: object): AuditContext | undefined {
  return contexts.get(reqOrRes);
}

export interface AuditorOptions {
  policy: Policy;
  backend: AuditBackend;
  /** Microsecond RFC 3339 "now"; tests pass a fixed clock. */
  now?: () => string;
  newID?: () => string;
  /** Where a backend's failure after RequestReceived is reported (it cannot fail a response already under way). */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  metrics?: AuditMetrics;
}

const MAX_USER_AGENT = 1024;
const MAX_STATUS_BODY = 64 * 1024;

export class Auditor {
  private readonly evaluator: PolicyEvaluator;
  private readonly now: () => string;
  private readonly newID: () => string;

  constructor(private readonly options: AuditorOptions) {
    this.evaluator = new PolicyEvaluator(options.policy);
    this.now = options.now ?? microNow;
    this.newID = options.newID ?? randomUUID;
  }

  begin(request: AuditRequest): AuditContext {
    const config = this.evaluator.evaluate(request.attributes);
    this.options.metrics?.level(config.level);
    return new RequestAudit(request, config, request.auditID || this.newID(), this.now, this.options.backend, this.options.log, this.options.metrics);
  }
}

class RequestAudit implements AuditContext {
  private readonly event?: Event;
  private startedSent = false;
  private done = false;

  constructor(
    request: AuditRequest,
    private readonly config: RequestAuditConfig,
    readonly auditID: string,
    private readonly now: () => string,
    private readonly backend: AuditBackend,
    private readonly log?: AuditorOptions["log"],
    private readonly metrics?: AuditMetrics,
    private readonly longRunning = request.longRunning ?? false,
  ) {
    if (config.level === "None") return;
    const a = request.attributes;
    const received = now();
    const ua = request.userAgent;
    this.event = {
      kind: "Event", apiVersion: "audit.k8s.io/v1", level: config.level, auditID, stage: "RequestReceived",
      requestURI: request.requestURI, verb: a.verb, user: eventUser(a.user),
      sourceIPs: request.sourceIPs,
      userAgent: ua && ua.length > MAX_USER_AGENT ? ua.slice(0, MAX_USER_AGENT) + "...TRUNCATED" : ua,
      objectRef: a.resourceRequest ? prune({
        resource: a.resource, namespace: a.namespace, name: a.name, apiGroup: a.apiGroup, apiVersion: a.apiVersion, subresource: a.subresource,
      }) : undefined,
      requestReceivedTimestamp: received, stageTimestamp: received,
    };
    this.send("RequestReceived");
  }

  get level() { return this.config.level; }

  impersonated(user: UserInfo): void {
    if (this.event) this.event.impersonatedUser = eventUser(user);
  }

  annotate(key: string, value: string): void {
    if (!this.event) return;
    const annotations = (this.event.annotations ??= {});
    if (!(key in annotations)) annotations[key] = value;
  }

  setRequestObject(obj: unknown): void {
    const ev = this.event;
    if (!ev || !obj || typeof obj !== "object") return;
    const meta = (obj as { metadata?: Record<string, unknown> }).metadata;
    if (meta && typeof meta === "object") {
      const ref = (ev.objectRef ??= {});
      for (const k of ["namespace", "name", "uid", "resourceVersion"] as const) {
        if (!ref[k] && typeof meta[k] === "string" && meta[k]) ref[k] = meta[k] as string;
      }
    }
    if (levelAtLeast(ev.level, "Request")) ev.requestObject = this.config.omitManagedFields ? withoutManagedFields(obj) : obj;
  }

  responseStarted(code: number): void {
    const ev = this.event;
    if (!ev || this.startedSent || this.done) return;
    this.startedSent = true;
    ev.responseStatus = { ...(ev.responseStatus ?? { metadata: {} }), code };
    if (this.longRunning) this.send("ResponseStarted");
  }

  complete(code: number, body?: unknown): void {
    const ev = this.event;
    if (!ev || this.done) return;
    if (!this.startedSent) {
      if (code) this.responseStarted(code);
      else if (this.longRunning) {
        // Nothing was written before the connection closed: upstream fakes a success.
        ev.responseStatus = closedEarly();
        this.startedSent = true;
        this.send("ResponseStarted");
      }
    }
    this.done = true;
    if (isStatus(body)) {
      ev.responseStatus = prune({ metadata: {}, status: body.status, message: body.message, reason: body.reason, details: body.details, code: body.code ?? ev.responseStatus?.code }) as ResponseStatus;
    }
    if (body !== undefined && levelAtLeast(ev.level, "RequestResponse")) ev.responseObject = this.config.omitManagedFields ? withoutManagedFields(body) : body;
    ev.responseStatus ??= closedEarly();
    this.send("ResponseComplete");
  }

  panic(err: unknown): void {
    const ev = this.event;
    if (!ev || this.done) return;
    this.done = true;
    ev.responseStatus = { metadata: {}, status: "Failure", message: `APIServer panic'd: ${err instanceof Error ? err.message : String(err)}`, reason: "InternalError", code: 500 };
    this.send("Panic");
  }

  observe(res: ObservableResponse, req?: object): void {
    if (!res.getHeader("Audit-Id")) res.setHeader("Audit-Id", this.auditID);
    const ev = this.event;
    if (!ev) return;
    contexts.set(res, this);
    if (req) contexts.set(req, this);
    // A body matters whole at RequestResponse; below that only a Status (errors, deletes) does, and a Status is
    // small, so a large body stops being kept. A stream's body is never kept.
    const whole = levelAtLeast(ev.level, "RequestResponse");
    let keep = !this.longRunning;
    let size = 0;
    const chunks: Buffer[] = [];
    const capture = (chunk: unknown, encoding: unknown) => {
      if (!keep || chunk === undefined || chunk === null || typeof chunk === "function") return;
      const buf = typeof chunk === "string" ? Buffer.from(chunk, typeof encoding === "string" ? encoding as BufferEncoding : "utf8")
        : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (!whole && size > MAX_STATUS_BODY) {
        keep = false;
        chunks.length = 0;
        return;
      }
      chunks.push(buf);
    };
    const writeHead = res.writeHead.bind(res);
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    // Headers given to writeHead are not visible to getHeader afterwards, so the content type is noted here.
    let contentType = "";
    res.writeHead = (...args: unknown[]) => {
      this.responseStarted(Number(args[0]));
      const headers = args.find((x) => x && typeof x === "object");
      if (headers && !Array.isArray(headers)) {
        const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type");
        if (entry) contentType = String(entry[1]);
      }
      return writeHead(...args);
    };
    // http2's end(chunk) writes the chunk through this.write: it must not be kept twice.
    let ending = false;
    res.write = (...args: unknown[]) => { this.responseStarted(res.statusCode); if (!ending) capture(args[0], args[1]); return write(...args); };
    res.end = (...args: unknown[]) => {
      this.responseStarted(res.statusCode);
      capture(args[0], args[1]);
      ending = true;
      try {
        return end(...args);
      } finally {
        ending = false;
      }
    };
    let finished = false;
    res.once("finish", () => { finished = true; this.complete(res.statusCode, this.parseBody(contentType || res.getHeader("content-type"), chunks)); });
    // A watch ends when its client goes away: that is its ResponseComplete.
    res.once("close", () => { if (!finished) this.complete(this.startedSent ? res.statusCode : 0, this.parseBody(contentType || res.getHeader("content-type"), chunks)); });
  }

  private parseBody(contentType: unknown, chunks: Buffer[]): unknown {
    if (!chunks.length || !String(contentType ?? "").includes("json")) return undefined;
    const text = Buffer.concat(chunks).toString("utf8");
    if (!levelAtLeast(this.config.level, "RequestResponse") && !text.includes('"kind":"Status"')) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  private send(stage: Stage): void {
    const ev = this.event!;
    if (this.config.omitStages.includes(stage)) return;
    ev.stage = stage;
    ev.stageTimestamp = stage === "RequestReceived" ? ev.requestReceivedTimestamp : this.now();
    // RequestReceived that cannot be stored fails the request (begin throws), as upstream; later stages are reported.
    this.metrics?.event();
    if (stage === "RequestReceived") return this.backend.processEvent(ordered(ev));
    try {
      this.backend.processEvent(ordered(ev));
    } catch (err) {
      this.log?.("audit event dropped", { auditID: ev.auditID, stage, err: String(err) });
    }
  }
}

function eventUser(user: UserInfo | undefined): EventUser {
  if (!user) return {};
  return prune({ username: user.username, uid: user.uid, groups: user.groups, extra: user.extra && Object.keys(user.extra).length ? user.extra : undefined });
}

function closedEarly(): ResponseStatus {
  return { metadata: {}, status: "Success", message: "Connection closed early", code: 200 };
}

function isStatus(body: unknown): body is { status?: string; message?: string; reason?: string; details?: unknown; code?: number } {
  return !!body && typeof body === "object" && (body as { kind?: unknown }).kind === "Status";
}

/** Drops empty strings and undefined, as upstream's omitempty does. */
function prune<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== "")) as T;
}

/** A copy in the field order of upstream's Go type, without absent fields. */
function ordered(ev: Event): Event {
  return prune({
    kind: ev.kind, apiVersion: ev.apiVersion, level: ev.level, auditID: ev.auditID, stage: ev.stage, requestURI: ev.requestURI, verb: ev.verb,
    user: ev.user, impersonatedUser: ev.impersonatedUser, sourceIPs: ev.sourceIPs, userAgent: ev.userAgent,
    objectRef: ev.objectRef && prune({
      resource: ev.objectRef.resource, namespace: ev.objectRef.namespace, name: ev.objectRef.name, uid: ev.objectRef.uid, apiGroup: ev.objectRef.apiGroup,
      apiVersion: ev.objectRef.apiVersion, resourceVersion: ev.objectRef.resourceVersion, subresource: ev.objectRef.subresource,
    }), responseStatus: ev.responseStatus && { ...ev.responseStatus },
    requestObject: ev.requestObject, responseObject: ev.responseObject,
    requestReceivedTimestamp: ev.requestReceivedTimestamp, stageTimestamp: ev.stageTimestamp,
    annotations: ev.annotations && { ...ev.annotations },
  }) as Event;
}

/** metadata.managedFields removed from an object, a list's items and a Table's rows; the input is not changed. */
function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== "object") return obj;
  const o = obj as { metadata?: { managedFields?: unknown }; items?: unknown[]; rows?: { object?: unknown }[] };
  let copy: typeof o = o;
  if (o.metadata?.managedFields !== undefined) {
    const { managedFields: _m, ...metadata } = o.metadata;
    copy = { ...copy, metadata };
  }
  if (Array.isArray(o.items)) copy = { ...copy, items: o.items.map(withoutManagedFields) };
  if (Array.isArray(o.rows)) copy = { ...copy, rows: o.rows.map((r) => (r?.object ? { ...r, object: withoutManagedFields(r.object) } : r)) };
  return copy;
}

/** Now as upstream's MicroTime: RFC 3339 with microseconds, UTC. */
export function microNow(): string {
  const t = performance.timeOrigin + performance.now();
  const ms = Math.floor(t);
  const micro = Math.min(999, Math.floor((t - ms) * 1000));
  return new Date(ms).toISOString().replace("Z", `${String(micro).padStart(3, "0")}Z`);
}

/** upstream's utilnet.SourceIPs: X-Forwarded-For entries, then X-Real-Ip, then the peer, without duplicates. */
export function sourceIPs(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined): string[] {
  const ips: string[] = [];
  const add = (ip: string | undefined) => {
    const clean = ip?.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
    if (clean && !ips.includes(clean)) ips.push(clean);
  };
  const header = (name: string) => { const v = headers[name]; return Array.isArray(v) ? v.join(",") : v; };
  for (const ip of (header("x-forwarded-for") ?? "").split(",")) add(ip);
  add(header("x-real-ip"));
  add(remoteAddress);
  return ips;
}
