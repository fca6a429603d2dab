/**
 * A small Kubernetes client over HTTPS: generic verbs on any resource, and
 * watch as an event stream. Errors come back as ApiError with the server's Status.
 */
import { Agent, request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import type { IncomingMessage } from "node:http";
import { ApiError, type Status, type StatusReason } from "../api/errors.js";
import type { ClientConfig } from "./kubeconfig.js";

export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }

export type { Kube, KubeObject } from "../api/kube-object.js";
import type { KubeObject } from "../api/kube-object.js";


export interface KubeList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** Where a resource lives: group ("" for core), version, plural, and scope. */
export interface ResourceRef { group: string; version: string; resource: string; namespaced: boolean }

export interface WatchEventOf<T> { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"; object: T }

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export class Client {
  private readonly agent?: Agent;

  constructor(readonly config: ClientConfig) {
    if (config.server.startsWith("https:")) {
      this.agent = new Agent({
        keepAlive: true, maxSockets: 64,
        ca: config.ca, cert: config.cert, key: config.key, rejectUnauthorized: !config.insecureSkipTLSVerify,
      });
    }
  }

  path(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${r.resource}`;
    if (name) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  private open(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<IncomingMessage> {
    const url = new URL(path, this.config.server);
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (payload !== undefined) { headers["content-type"] = contentType; headers["content-length"] = String(Buffer.byteLength(payload)); }
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent }, resolve);
      req.on("error", reject);
      req.end(payload);
    });
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.open(method, path, body, contentType);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const code = res.statusCode ?? 0;
    if (code >= 400) {
      let status: Partial<Status> = {};
      try { status = JSON.parse(text) as Status; } catch { /* not a Status */ }
      throw new ApiError(code, (status.reason ?? "InternalError") as StatusReason, status.message ?? text, status.details);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>("GET", this.path(r, namespace, name));
  }

  list<T extends KubeObject = KubeObject>(r: ResourceRef, namespace?: string, params: ListParams = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>("GET", this.path(r, namespace) + query({ ...params }));
  }

  create<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, obj: KubeObject): Promise<T> {
    return this.request<T>("POST", this.path(r, namespace), obj);
  }

  update<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, obj: KubeObject, subresource?: string): Promise<T> {
    return this.request<T>("PUT", this.path(r, namespace, obj.metadata.name, subresource), obj);
  }

  patch<T extends KubeObject = KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, patch: unknown,
    type: "merge" | "json" | "strategic" = "merge", subresource?: string): Promise<T> {
    const ct = { merge: "application/merge-patch+json", json: "application/json-patch+json", strategic: "application/strategic-merge-patch+json" }[type];
    return this.request<T>("PATCH", this.path(r, namespace, name, subresource), patch, ct);
  }

  delete(r: ResourceRef, namespace: string | undefined, name: string, options: Record<string, unknown> = {}): Promise<unknown> {
    return this.request("DELETE", this.path(r, namespace, name), options);
  }

  /**
   * Streams watch events to onEvent until the server ends the stream or abort
   * is signalled. Resolves when the stream ends.
   */
  async watch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, params: ListParams & { allowWatchBookmarks?: boolean; timeoutSeconds?: number },
    onEvent: (e: WatchEventOf<T>) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.open("GET", this.path(r, namespace) + query({ ...params, watch: true }));
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const status = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Status;
      throw new ApiError(res.statusCode!, (status.reason ?? "InternalError") as StatusReason, status.message ?? "watch failed");
    }
    const onAbort = () => res.destroy();
    // An abort while the request was being opened has no listener to hear it: the stream would run to its timeout.
    if (signal?.aborted) { res.destroy(); return; }
    signal?.addEventListener("abort", onAbort);
    let buffered = "";
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString("utf8");
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEventOf<T>);
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  close(): void {
    this.agent?.destroy();
  }
}

function query(params: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
