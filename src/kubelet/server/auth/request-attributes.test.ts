import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeletRequestAttributes } from "./request-attributes.js";

describe("kubelet request attributes (upstream's nodeAuthorizerAttributesGetter)", () => {
  const cases: Array<[method: string, path: string, verb: string, subresource: string]> = [
    ["GET", "/stats/summary", "get", "stats"],
    ["GET", "/stats", "get", "stats"],
    ["GET", "/statsx", "get", "proxy"],
    ["GET", "/metrics", "get", "metrics"],
    ["GET", "/metrics/cadvisor", "get", "metrics"],
    ["GET", "/metrics/resource", "get", "metrics"],
    ["GET", "/metrics/probes", "get", "metrics"],
    ["GET", "/metricsx", "get", "proxy"],
    ["GET", "/logs/", "get", "log"],
    ["GET", "/spec/", "get", "spec"],
    ["POST", "/checkpoint/ns/pod/c", "create", "checkpoint"],
    ["GET", "/pods", "get", "proxy"],
    ["GET", "/healthz", "get", "proxy"],
    ["GET", "/configz", "get", "proxy"],
    ["GET", "/containerLogs/default/web/web", "get", "proxy"],
    ["POST", "/exec/default/web/web", "create", "proxy"],
    ["GET", "/exec/default/web/web", "get", "proxy"],
    ["POST", "/portForward/default/web", "create", "proxy"],
    ["HEAD", "/pods", "get", "proxy"],
    ["PUT", "/x", "update", "proxy"],
    ["PATCH", "/x", "patch", "proxy"],
    ["DELETE", "/x", "delete", "proxy"],
    ["OPTIONS", "/pods", "", "proxy"],
  ];
  for (const [method, path, verb, subresource] of cases) {
    it(`${method} ${path} is ${verb || "no verb"} on nodes/${subresource}`, () => {
      assert.deepEqual(kubeletRequestAttributes(method, path, "n1"), { verb, namespace: "", group: "", version: "v1", resource: "nodes", subresource, name: "n1" });
    });
  }
});
