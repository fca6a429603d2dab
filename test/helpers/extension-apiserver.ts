/**
 * An extension API server for tests, as a sample-apiserver or a
 * metrics-server is one: HTTPS on loopback with a certificate of its own
 * CA, serving the group-version wardle.example.com/v1alpha1 (discovery and
 * a namespaced, read-only `flunders` resource), and trusting only requests
 * made with a client certificate of the front-proxy CA it is given (the
 * extension-apiserver-authentication ConfigMap's), whose user it reads from
 * X-Remote-User and X-Remote-Group as upstream's request header
 * authenticator does. It keeps every request it was sent. More
 * group-versions can be served through `handle` (see metrics-apiserver.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { makeCertificates } from "./webhook-server.js";

export interface ExtensionRequest { method: string; path: string; headers: Record<string, string | string[] | undefined>; clientCN: string | undefined }

export interface ExtensionServer {
  port: number;
  /** The serving CA, base64 of PEM, as an APIService's caBundle holds it. */
  caBundle: string;
  received: ExtensionRequest[];
  close(): Promise<void>;
}

/** An authenticated request for another group: the answer's status and body, or undefined to fall through to the server's own routes. */
export type ExtensionHandler = (req: { method: string; path: string; query: URLSearchParams; user: string }) => Promise<{ code: number; body: unknown } | undefined> | { code: number; body: unknown } | undefined;

export const WARDLE = "wardle.example.com/v1alpha1";

const resourceList = {
  kind: "APIResourceList", apiVersion: "v1", groupVersion: WARDLE,
  resources: [{ name: "flunders", singularName: "flunder", namespaced: true, kind: "Flunder", verbs: ["get", "list"], shortNames: ["fl"] }],
};

const gvk = { group: "wardle.example.com", version: "v1alpha1", kind: "Flunder" };
const flunderProperties = {
  apiVersion: { type: "string" }, kind: { type: "string" },
  spec: { type: "object", description: "What the flunder refers to.", properties: { reference: { type: "string", description: "The name of another flunder." } } },
};

/** The server's OpenAPI v2 document: its path, its kind, and a copy of its own of ObjectMeta (the aggregator keeps the API server's). */
const openapiV2 = {
  swagger: "2.0", info: { title: "wardle", version: "v0.1.0" },
  paths: {
    "/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}": {
      get: { operationId: "readWardleV1alpha1NamespacedFlunder", "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk, responses: { "200": { description: "OK", schema: { $ref: "#/definitions/com.example.wardle.v1alpha1.Flunder" } } } },
    },
  },
  definitions: {
    "com.example.wardle.v1alpha1.Flunder": {
      description: "A Flunder is the wardle server's kind.", type: "object", "x-kubernetes-group-version-kind": [gvk],
      properties: { ...flunderProperties, metadata: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" } },
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": { description: "wardle's own ObjectMeta", type: "object" },
  },
};

/** Its OpenAPI v3 document of wardle.example.com/v1alpha1, and the root that lists it. */
const openapiV3 = {
  openapi: "3.0.0", info: { title: "wardle", version: "v0.1.0" },
  paths: {
    "/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}": {
      get: {
        operationId: "readWardleV1alpha1NamespacedFlunder", "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk,
        responses: { "200": { description: "OK", content: { "application/json": { schema: { $ref: "#/components/schemas/com.example.wardle.v1alpha1.Flunder" } } } } },
      },
    },
  },
  components: {
    schemas: {
      "com.example.wardle.v1alpha1.Flunder": {
        description: "A Flunder is the wardle server's kind.", type: "object", "x-kubernetes-group-version-kind": [gvk],
        properties: { ...flunderProperties, metadata: { type: "object" } },
      },
    },
  },
};
const openapiV3Root = { paths: { "apis/wardle.example.com/v1alpha1": { serverRelativeURL: "/openapi/v3/apis/wardle.example.com/v1alpha1?hash=0123" } } };

function flunder(namespace: string, name: string, user: string) {
  return { apiVersion: WARDLE, kind: "Flunder", metadata: { name, namespace, creationTimestamp: "2026-12-01T00:00:00Z", annotations: { "wardle.example.com/asked-by": user } } };
}

/** frontProxyCA: the PEM that client certificates must come from; dnsNames: the Service's `<svc>.<ns>.svc`. */
export async function startExtensionServer(frontProxyCA: string, dnsNames: string[], options: { handle?: ExtensionHandler } = {}): Promise<ExtensionServer> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-extension-"));
  let pki;
  try { pki = makeCertificates(dir, dnsNames); } finally { rmSync(dir, { recursive: true, force: true }); }
  const received: ExtensionRequest[] = [];
  const server: Server = createServer({ key: pki.key, cert: pki.cert, ca: frontProxyCA, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    const clientCN = peer?.subject?.CN as string | undefined;
    const url = new URL(req.url ?? "/", "https://x");
    const path = url.pathname;
    received.push({ method: req.method ?? "", path, headers: req.headers, clientCN });
    const send = (code: number, body: unknown) => { res.writeHead(code, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
    // Only the front proxy may say who the user is (requestheader-allowed-names: front-proxy-client).
    const user = clientCN === "front-proxy-client" ? req.headers["x-remote-user"] : undefined;
    if (typeof user !== "string") return send(401, { kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
    const own = () => {
      if (path === `/apis/${WARDLE}`) return send(200, resourceList);
      if (path === "/openapi/v2") return send(200, openapiV2);
      if (path === "/openapi/v3") return send(200, openapiV3Root);
      if (path === `/openapi/v3/apis/${WARDLE}`) return send(200, openapiV3);
      const m = /^\/apis\/wardle\.example\.com\/v1alpha1\/namespaces\/([^/]+)\/flunders(?:\/([^/]+))?$/.exec(path);
      if (m && req.method === "GET") {
        const [, ns, name] = m;
        if (name) return send(200, flunder(ns!, name, user));
        return send(200, { apiVersion: WARDLE, kind: "FlunderList", metadata: { resourceVersion: "1" }, items: [flunder(ns!, "first", user)] });
      }
      send(404, { kind: "Status", apiVersion: "v1", status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", code: 404 });
    };
    if (!options.handle) return own();
    Promise.resolve(options.handle({ method: req.method ?? "", path: decodeURIComponent(path), query: url.searchParams, user }))
      .then((answer) => answer ? send(answer.code, answer.body) : own())
      .catch((err: Error) => send(500, { kind: "Status", apiVersion: "v1", status: "Failure", message: err.message, reason: "InternalError", code: 500 }));
  });
  await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(0, "127.0.0.1", () => resolve()); });
  const { port } = server.address() as AddressInfo;
  return {
    port, caBundle: Buffer.from(pki.ca).toString("base64"), received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
