import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestInfo } from "./request-info.js";

const q = (s = "") => new URLSearchParams(s);

describe("parseRequestInfo", () => {
  const cases: [string, string, string, Partial<ReturnType<typeof parseRequestInfo>>][] = [
    ["GET", "/api/v1/namespaces/default/pods", "", { isResourceRequest: true, verb: "list", namespace: "default", resource: "pods", name: "" }],
    ["GET", "/api/v1/namespaces/default/pods", "watch=true", { verb: "watch", resource: "pods" }],
    ["GET", "/api/v1/watch/namespaces/default/pods", "", { verb: "watch", namespace: "default", resource: "pods" }],
    ["GET", "/api/v1/namespaces/default/pods", "fieldSelector=metadata.name%3Dweb", { verb: "list", name: "web" }],
    ["GET", "/api/v1/namespaces/default/pods/web/log", "", { verb: "get", name: "web", subresource: "log" }],
    ["DELETE", "/apis/apps/v1/namespaces/x/deployments", "", { verb: "deletecollection", apiGroup: "apps", apiVersion: "v1", resource: "deployments" }],
    ["PUT", "/api/v1/namespaces/foo/finalize", "", { verb: "update", namespace: "foo", resource: "namespaces", name: "foo", subresource: "finalize" }],
    ["GET", "/api/v1/namespaces/foo", "", { verb: "get", namespace: "foo", resource: "namespaces", name: "foo" }],
    ["GET", "/api/v1/nodes/n1/status", "", { verb: "get", namespace: "", resource: "nodes", name: "n1", subresource: "status" }],
    ["POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "", { verb: "create", apiGroup: "authorization.k8s.io", resource: "selfsubjectaccessreviews" }],
    ["GET", "/apis/apps", "", { isResourceRequest: false, verb: "get", path: "/apis/apps" }],
    ["GET", "/api/v1", "", { isResourceRequest: false }],
    ["GET", "/healthz", "", { isResourceRequest: false, verb: "get", path: "/healthz" }],
    ["GET", "/api/v1/namespaces/a%2Db/pods", "", { namespace: "a-b" }],
    // A proxy request is authorized on the name as written, port and scheme included (upstream's RequestInfo), with the rest of the path in parts.
    ["PATCH", "/api/v1/namespaces/ns/pods/https:web:443/proxy/a/b", "", { verb: "patch", resource: "pods", name: "https:web:443", subresource: "proxy", parts: ["pods", "https:web:443", "proxy", "a", "b"] }],
    ["GET", "/api/v1/namespaces/ns/services/web:http/proxy", "watch=true", { verb: "get", resource: "services", name: "web:http", subresource: "proxy" }],
    ["DELETE", "/api/v1/nodes/n1:10250/proxy/x", "", { verb: "delete", resource: "nodes", name: "n1:10250", subresource: "proxy", parts: ["nodes", "n1:10250", "proxy", "x"] }],
  ];
  for (const [method, path, query, want] of cases) {
    it(`${method} ${path}?${query}`, () => {
      const got = parseRequestInfo(method, path, q(query));
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }

  for (const path of [
    "/api/v1/namespaces/default/configmaps/%2e%2e/%2e%2e/kust-ns/secrets",
    "/api/v1/namespaces/default/configmaps/../../kust-ns/secrets",
    "/api/v1/namespaces/default/pods/./x",
    "/api/v1/namespaces/default/pods/%2E",
    "/api/v1/namespaces/default/pods/a%2Fb",
    "/api/v1/namespaces/default/pods/%zz",
  ]) {
    it(`refuses ${path} with 400`, () => {
      assert.throws(() => parseRequestInfo("GET", path, q()), (e: { code?: number }) => e.code === 400);
    });
  }
});
