/**
 * The `proxy` subresource of pods, services and nodes
 * (`/api/v1/namespaces/N/pods/[SCHEME:]NAME[:PORT]/proxy[/PATH]`, the same
 * for services, `/api/v1/nodes/NAME[:PORT]/proxy[/PATH]`), served after
 * authentication and authorization (`pods/proxy`, `services/proxy`,
 * `nodes/proxy` with the HTTP method's verb), as upstream's API server does.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import type { Endpoints, Node, Pod, Service } from "kubernetes-types/core/v1.js";
import type { Pki } from "../../pki/index.js";
import { ApiError, internalError } from "../../api/errors.js";
import { refuseUpgrade } from "../../api/upgrade-refusal.js";
import type { Request, Response } from "../http.js";
import type { RequestInfo } from "../request-info.js";
import { forward, type Exchange } from "./forward.js";
import { ProxyLocations, type ProxiedResource, type ProxyLocation, type ProxyObjects } from "./location.js";
import { backendPath, pathPrepend } from "./proxy-path.js";
import { spliceUpgrade } from "./upgrade.js";

export interface ApiProxyOptions {
  /** Reads a core/v1 object as stored; throws a NotFound ApiError for a missing one. */
  get(resource: "pods" | "services" | "endpoints" | "nodes", namespace: string | undefined, name: string): Promise<unknown>;
  /** The API server's client certificate for kubelets (the admin's, as upstream's kubelet client is in system:masters), and the CA their serving certificates come from. */
  pki: Pick<Pki, "caCert" | "kubeletClientCert" | "kubeletClientKey">;
}

/** Whether a request is for a proxy subresource (and not, say, a watch of one, which upstream does not serve). */
export function isProxyRequest(info: RequestInfo): boolean {
  if (!info.isResourceRequest || info.apiPrefix !== "api" || info.apiVersion !== "v1") return false;
  if (info.subresource !== "proxy" || !info.name || info.verb === "watch") return false;
  if (info.resource === "nodes") return !info.namespace;
  return (info.resource === "pods" || info.resource === "services") && Boolean(info.namespace);
}

function splitUrl(url: string | undefined): { rawPath: string; rawQuery: string } {
  const [beforeHash] = (url ?? "/").split("#");
  const q = beforeHash!.indexOf("?");
  return q < 0 ? { rawPath: beforeHash!, rawQuery: "" } : { rawPath: beforeHash!.slice(0, q), rawQuery: beforeHash!.slice(q + 1) };
}

export class ApiProxy {
  readonly locations: ProxyLocations;

  constructor(private readonly options: ApiProxyOptions) {
    const objects: ProxyObjects = {
      pod: async (ns, name) => (await options.get("pods", ns, name)) as Pod,
      service: async (ns, name) => (await options.get("services", ns, name)) as Service,
      endpoints: async (ns, name) => (await options.get("endpoints", ns, name)) as Endpoints,
      node: async (name) => (await options.get("nodes", undefined, name)) as Node,
    };
    this.locations = new ProxyLocations(objects);
  }

  /** See ProxyLocations.loopbackNode: set by `skiff server` for its own node on the process runtime. */
  trustLoopbackNode(nodeName: string): void {
    this.locations.loopbackNode = nodeName;
  }

  async serve(req: Request, res: Response, info: RequestInfo): Promise<void> {
    const x = await this.exchange(req.url, info);
    // upstream's answer for the backend's root without its slash: a redirect to it (kubernetes/kubernetes#4958).
    if (!x.path && (req.method === "GET" || req.method === "HEAD")) {
      const { rawPath, rawQuery } = splitUrl(req.url);
      res.writeHead(301, { location: `${rawPath}/${rawQuery ? `?${rawQuery}` : ""}`, "content-length": "0" });
      res.end();
      return;
    }
    await forward(req, res, x);
  }

  /** An upgrade request (HTTP/1.1) spliced to the backend, or refused with a Status. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: RequestInfo): void {
    this.exchange(req.url, info).then((x) => spliceUpgrade(req, socket, head, x), (err) => {
      const e = err instanceof ApiError ? err : internalError(err);
      refuseUpgrade(socket, e.code, JSON.stringify(e.toStatus()), "application/json");
    });
  }

  private async exchange(url: string | undefined, info: RequestInfo): Promise<Exchange> {
    const location = await this.locations.resolve(info.resource as ProxiedResource, info.namespace, info.name);
    const { rawPath, rawQuery } = splitUrl(url);
    return { location, path: backendPath(info, rawPath), rawQuery, pathPrepend: pathPrepend(info), tls: this.tls(location) };
  }

  /** A kubelet is dialled with the API server's kubelet client certificate; any other https backend without verification, as upstream's proxy transport. */
  private tls(location: ProxyLocation): ConnectionOptions {
    if (location.scheme !== "https") return {};
    if (!location.kubelet) return { rejectUnauthorized: false };
    const { caCert, kubeletClientCert, kubeletClientKey } = this.options.pki;
    // The kubelet's certificate comes from the cluster CA; its names need not include the node address.
    return { ca: caCert, cert: kubeletClientCert, key: kubeletClientKey, checkServerIdentity: () => undefined };
  }
}
