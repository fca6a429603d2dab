import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestInfo } from "../request-info.js";
import { backendPath, pathPrepend } from "./proxy-path.js";
import { isProxyRequest } from "./index.js";

describe("proxy paths", () => {
  // [method, raw path, proxy request?, backend path, prefix]
  const cases: [string, string, boolean, string, string][] = [
    ["GET", "/api/v1/namespaces/ns/pods/web:8080/proxy/", true, "/", "/api/v1/namespaces/ns/pods/web:8080/proxy"],
    ["GET", "/api/v1/namespaces/ns/pods/web:8080/proxy", true, "", "/api/v1/namespaces/ns/pods/web:8080/proxy"],
    ["POST", "/api/v1/namespaces/ns/pods/https:web:443/proxy/a/b/", true, "/a/b/", "/api/v1/namespaces/ns/pods/https:web:443/proxy"],
    ["GET", "/api/v1/namespaces/ns/services/web:http/proxy/a%20b/c", true, "/a%20b/c", "/api/v1/namespaces/ns/services/web:http/proxy"],
    ["GET", "/api/v1/nodes/n1/proxy/healthz", true, "/healthz", "/api/v1/nodes/n1/proxy"],
    ["DELETE", "/api/v1/nodes/n1:10250/proxy/x", true, "/x", "/api/v1/nodes/n1:10250/proxy"],
    ["GET", "/api/v1/watch/namespaces/ns/pods/web/proxy/", false, "", ""],
    ["GET", "/api/v1/namespaces/ns/nodes/n1/proxy/", false, "", ""],
    ["GET", "/api/v1/nodes/n1/status", false, "", ""],
    ["GET", "/apis/apps/v1/namespaces/ns/deployments/web/proxy", false, "", ""],
    ["GET", "/api/v1/namespaces/ns/configmaps/web/proxy", false, "", ""],
  ];
  for (const [method, path, proxied, backend, prefix] of cases) {
    it(`${method} ${path}`, () => {
      const info = parseRequestInfo(method, path, new URLSearchParams());
      assert.equal(isProxyRequest(info), proxied);
      if (!proxied) return;
      assert.equal(backendPath(info, path), backend);
      assert.equal(pathPrepend(info), prefix);
    });
  }
});
