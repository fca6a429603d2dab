import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { auditRequestFrom, requestAttributes } from "./request-attributes.js";

const pick = (method: string, uri: string) => {
  const a = requestAttributes(method, new URL(uri, "https://x"), undefined);
  return [a.resourceRequest, a.verb, a.apiGroup, a.apiVersion, a.resource, a.subresource, a.namespace, a.name].join(" ").replace(/ +/g, " ").trim();
};

describe("audit request attributes (upstream's RequestInfo rules)", () => {
  const cases: [string, string, string][] = [
    ["GET", "/api/v1/namespaces/default/pods", "true list v1 pods default"],
    ["GET", "/api/v1/namespaces/default/pods/web", "true get v1 pods default web"],
    ["GET", "/api/v1/namespaces/default/pods/web/log?follow=true", "true get v1 pods log default web"],
    ["GET", "/api/v1/pods?watch=true", "true watch v1 pods"],
    ["GET", "/api/v1/watch/namespaces/default/pods/web", "true watch v1 pods default web"],
    ["GET", "/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3Dweb", "true watch v1 pods default web"],
    ["POST", "/apis/apps/v1/namespaces/shop/deployments", "true create apps v1 deployments shop"],
    ["PUT", "/apis/apps/v1/namespaces/shop/deployments/web/status", "true update apps v1 deployments status shop web"],
    ["PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale", "true patch apps v1 deployments scale shop web"],
    ["DELETE", "/api/v1/namespaces/default/secrets", "true deletecollection v1 secrets default"],
    ["DELETE", "/api/v1/nodes/n1", "true delete v1 nodes n1"],
    ["GET", "/api/v1/namespaces/kube-system", "true get v1 namespaces kube-system kube-system"],
    ["PUT", "/api/v1/namespaces/gone/finalize", "true update v1 namespaces finalize gone gone"],
    ["GET", "/api/v1/namespaces", "true list v1 namespaces"],
    ["GET", "/healthz", "false get"],
    ["GET", "/api", "false get"],
    ["GET", "/api/v1", "false get"],
    ["POST", "/openapi/v3", "false post"],
  ];
  for (const [method, uri, want] of cases) it(`${method} ${uri}`, () => assert.equal(pick(method, uri), want));

  it("takes the client's Audit-ID, agent and addresses, and marks long-running requests", () => {
    const r = auditRequestFrom({ method: "GET", url: "/api/v1/pods?watch=true", headers: { "user-agent": "kubectl/v1.32.0", "audit-id": "abc" }, socket: { remoteAddress: "::ffff:127.0.0.1" } }, undefined);
    assert.deepEqual([r.requestURI, r.userAgent, r.auditID, r.sourceIPs, r.longRunning], ["/api/v1/pods?watch=true", "kubectl/v1.32.0", "abc", ["127.0.0.1"], true]);
    assert.equal(auditRequestFrom({ method: "POST", url: "/api/v1/namespaces/d/pods/p/exec", headers: {} }, undefined).longRunning, true);
    assert.equal(auditRequestFrom({ method: "GET", url: "/api/v1/namespaces/d/pods/p", headers: {} }, undefined).longRunning, false);
  });
});
