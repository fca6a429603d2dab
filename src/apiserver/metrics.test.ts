import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestInfo } from "./request-info.js";
import { ApiMetrics, isLongRunning, requestKind, requestLabels } from "./metrics.js";
import { storageTypes } from "./storage-metrics.js";
import { ResourceCatalog } from "./catalog.js";

const catalog = new ResourceCatalog();

const labelsOf = (method: string, path: string, query = "", contentType?: string) => {
  const q = new URLSearchParams(query);
  const info = parseRequestInfo(method, path, q);
  return { info, labels: requestLabels(info, method, contentType, q, catalog.lookup(info.apiGroup, info.apiVersion, info.resource)) };
};

describe("requestLabels", () => {
  // Upstream's cleanVerb and CleanScope, as apiserver_request_total reports them.
  const cases: [string, string, string, string | undefined, { verb: string; scope: string; group?: string; version?: string; resource?: string; subresource?: string; dry_run?: string }][] = [
    ["GET", "/api/v1/namespaces/default/pods/web", "", undefined, { verb: "GET", scope: "resource", version: "v1", resource: "pods" }],
    ["GET", "/api/v1/namespaces/default/pods", "", undefined, { verb: "LIST", scope: "namespace" }],
    ["GET", "/api/v1/pods", "", undefined, { verb: "LIST", scope: "cluster" }],
    ["GET", "/api/v1/pods", "watch=true", undefined, { verb: "WATCH", scope: "cluster" }],
    ["GET", "/api/v1/watch/namespaces/default/pods", "", undefined, { verb: "WATCH", scope: "namespace" }],
    ["GET", "/api/v1/namespaces/default/pods/web", "watch=1", undefined, { verb: "WATCH", scope: "resource" }],
    ["GET", "/api/v1/namespaces/default/pods", "fieldSelector=metadata.name%3Dweb", undefined, { verb: "LIST", scope: "resource" }],
    ["POST", "/apis/apps/v1/namespaces/default/deployments", "", undefined, { verb: "POST", scope: "resource", group: "apps", version: "v1", resource: "deployments" }],
    ["POST", "/api/v1/namespaces/default/pods", "dryRun=All", undefined, { verb: "POST", scope: "resource", dry_run: "All" }],
    ["PUT", "/api/v1/nodes/n1/status", "", undefined, { verb: "PUT", scope: "resource", resource: "nodes", subresource: "status" }],
    ["PATCH", "/apis/apps/v1/namespaces/d/deployments/web", "", "application/strategic-merge-patch+json", { verb: "PATCH", scope: "resource" }],
    ["PATCH", "/apis/apps/v1/namespaces/d/deployments/web", "fieldManager=kubectl", "application/apply-patch+yaml; charset=utf-8", { verb: "APPLY", scope: "resource" }],
    ["DELETE", "/api/v1/namespaces/default/configmaps/x", "", undefined, { verb: "DELETE", scope: "resource" }],
    ["DELETE", "/api/v1/namespaces/default/configmaps", "", undefined, { verb: "DELETE", scope: "namespace" }],
    ["POST", "/api/v1/namespaces/default/pods/web/exec", "command=ls", undefined, { verb: "CONNECT", scope: "resource", subresource: "exec" }],
    ["GET", "/api/v1/namespaces/default/services/web:80/proxy/x", "", undefined, { verb: "CONNECT", scope: "resource", subresource: "proxy" }],
    ["GET", "/api/v1/namespaces/default/pods/web/log", "follow=true", undefined, { verb: "GET", scope: "resource", subresource: "log" }],
    ["GET", "/healthz", "", undefined, { verb: "GET", scope: "", resource: "", version: "" }],
    ["GET", "/apis/apps", "", undefined, { verb: "GET", scope: "" }],
    // What the server does not serve adds no series: made-up resources, subresources and methods are cleaned away.
    ["GET", "/api/v1/namespaces/default/madeup-1234", "", undefined, { verb: "LIST", scope: "namespace", group: "", version: "", resource: "" }],
    ["GET", "/apis/example.com/v9/widgets", "", undefined, { verb: "LIST", scope: "cluster", group: "", version: "", resource: "" }],
    ["GET", "/api/v1/namespaces/default/pods/web/madeup", "", undefined, { verb: "GET", scope: "resource", resource: "pods", subresource: "" }],
    ["BREW", "/healthz", "", undefined, { verb: "OTHER", scope: "" }],
  ];
  for (const [method, path, query, contentType, want] of cases) {
    it(`${method} ${path}?${query}`, () => {
      const { labels } = labelsOf(method, path, query, contentType);
      for (const [k, v] of Object.entries(want)) assert.equal(labels[k as keyof typeof labels], v, k);
      assert.equal(labels.component, "apiserver");
      if (!want.dry_run) assert.equal(labels.dry_run, "");
    });
  }

  it("counts watches, streams and logs as long-running, and reads as readOnly", () => {
    const long = (m: string, p: string, q = "") => isLongRunning(labelsOf(m, p, q).labels);
    assert.equal(long("GET", "/api/v1/pods", "watch=true"), true);
    assert.equal(long("POST", "/api/v1/namespaces/d/pods/w/exec"), true);
    assert.equal(long("GET", "/api/v1/namespaces/d/pods/w/log"), true);
    assert.equal(long("GET", "/api/v1/pods"), false);
    assert.equal(requestKind(labelsOf("GET", "/api/v1/pods").info), "readOnly");
    assert.equal(requestKind(labelsOf("PATCH", "/api/v1/namespaces/d/pods/w").info), "mutating");
  });
});

describe("ApiMetrics", () => {
  it("tracks inflight and long-running requests until they end, then counts them by code", async () => {
    const m = new ApiMetrics();
    const get = labelsOf("GET", "/api/v1/namespaces/d/pods/w");
    const watch = labelsOf("GET", "/api/v1/pods", "watch=true");
    const endGet = m.begin(get.info, get.labels);
    const endWatch = m.begin(watch.info, watch.labels);
    let text = await m.registry.metrics();
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 1$/m);
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="mutating"\} 0$/m);
    assert.match(text, /^apiserver_longrunning_requests\{verb="WATCH",dry_run="",group="",version="v1",resource="pods",subresource="",scope="cluster",component="apiserver"\} 1$/m);
    endGet(404);
    endGet(404); // ending twice counts once
    endWatch(200);
    text = await m.registry.metrics();
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} 0$/m);
    assert.match(text, /^apiserver_longrunning_requests\{verb="WATCH",.*\} 0$/m);
    assert.match(text, /^apiserver_request_total\{verb="GET",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="404"\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{le="60",verb="WATCH",.*\} 1$/m);
  });

  it("reports stored objects when scraped, -1 where counting failed", async () => {
    const m = new ApiMetrics(async () => new Map([["pods", 3], ["deployments.apps", -1]]));
    const text = await m.registry.metrics();
    assert.match(text, /^apiserver_storage_objects\{resource="pods"\} 3$/m);
    assert.match(text, /^apiserver_storage_objects\{resource="deployments.apps"\} -1$/m);
  });
});

describe("storageTypes", () => {
  it("names a key's type by its resource's group-qualified name", () => {
    const resources = [
      { storagePrefix: "/registry/pods", resource: "pods", group: "" },
      { storagePrefix: "/registry/deployments", resource: "deployments", group: "apps" },
      { storagePrefix: "/registry/events.k8s.io/events", resource: "events", group: "events.k8s.io" },
    ];
    const typeOf = storageTypes(() => resources);
    assert.equal(typeOf("/registry/pods/default/web"), "pods");
    assert.equal(typeOf("/registry/pods/"), "pods");
    assert.equal(typeOf("/registry/deployments/default/web"), "deployments.apps");
    assert.equal(typeOf("/registry/events.k8s.io/events/default/e1"), "events.events.k8s.io");
    assert.equal(typeOf("/registry/ranges/serviceips"), "ranges");
    // A custom resource registered later is found on the next miss.
    resources.push({ storagePrefix: "/registry/example.com/widgets", resource: "widgets", group: "example.com" });
    assert.equal(typeOf("/registry/example.com/widgets/default/w"), "widgets.example.com");
  });
});
