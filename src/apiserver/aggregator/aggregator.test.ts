import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ResourceCatalog } from "../catalog.js";
import { apiServiceStrategy } from "../registry/apiregistration/apiservices/strategy.js";
import type { APIService } from "../registry/apiregistration/apiservices/types.js";
import type { Stored } from "../registry/strategy.js";
import { fieldErrorMessage } from "../../api/errors.js";
import { aggregatedResources } from "./aggregator.js";

const metricsServer = { groupVersion: "metrics.k8s.io/v1beta1", resources: [
  { name: "nodes", singularName: "", namespaced: false, kind: "NodeMetrics", verbs: ["get", "list"] },
  { name: "pods", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get", "list"] },
  { name: "pods/log", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get"] },
] };

describe("aggregated group-versions in the catalog", () => {
  it("stand in for what the server served there, and give it back when they go", () => {
    const catalog = new ResourceCatalog();
    const builtin = catalog.lookup("metrics.k8s.io", "v1beta1", "pods");
    assert.ok(builtin && !builtin.aggregated);
    const generation = catalog.generation;
    catalog.setAggregated("metrics.k8s.io", "v1beta1", aggregatedResources("metrics.k8s.io", "v1beta1", metricsServer));
    const pods = catalog.lookup("metrics.k8s.io", "v1beta1", "pods")!;
    assert.equal(pods.aggregated, true);
    assert.deepEqual(pods.subresources, [{ name: "log", verbs: ["get"] }]);
    assert.equal(pods.singular, "podmetrics");
    assert.equal(catalog.generation, generation + 1);
    // The same resources again change nothing (discovery stays cached).
    catalog.setAggregated("metrics.k8s.io", "v1beta1", aggregatedResources("metrics.k8s.io", "v1beta1", metricsServer));
    assert.equal(catalog.generation, generation + 1);
    catalog.setAggregated("metrics.k8s.io", "v1beta1", undefined);
    assert.equal(catalog.lookup("metrics.k8s.io", "v1beta1", "pods"), builtin);
  });

  it("list a group whose server names only subresource-like metrics, as a custom metrics adapter does", () => {
    const catalog = new ResourceCatalog();
    const adapter = { groupVersion: "custom.metrics.k8s.io/v1beta2", resources: [{ name: "pods/requests_per_second", singularName: "", namespaced: true, kind: "MetricValueList", verbs: ["get"] }] };
    catalog.setAggregated("custom.metrics.k8s.io", "v1beta2", aggregatedResources("custom.metrics.k8s.io", "v1beta2", adapter));
    assert.deepEqual(catalog.groups().find((g) => g.name === "custom.metrics.k8s.io"), { name: "custom.metrics.k8s.io", versions: ["v1beta2"] });
    catalog.setAggregated("custom.metrics.k8s.io", "v1beta2", undefined);
    assert.equal(catalog.groups().find((g) => g.name === "custom.metrics.k8s.io"), undefined);
  });
});

describe("APIService validation", () => {
  const errors = (o: APIService) => (apiServiceStrategy.validate!(o as Stored<APIService>, undefined as never) ?? []).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
  const remote = (spec: Partial<NonNullable<APIService["spec"]>>, name = "v1alpha1.wardle.example.com"): APIService =>
    ({ metadata: { name }, spec: { group: "wardle.example.com", version: "v1alpha1", service: { namespace: "w", name: "api", port: 443 }, groupPriorityMinimum: 1000, versionPriority: 15, ...spec } });

  it("accepts a remote and a local one", () => {
    assert.deepEqual(errors(remote({})), []);
    assert.deepEqual(errors({ metadata: { name: "v1." }, spec: { group: "", version: "v1", groupPriorityMinimum: 18000, versionPriority: 1 } }), []);
  });

  it("refuses what upstream refuses", () => {
    assert.ok(errors(remote({}, "v1.other.example.com")).some((e) => e.startsWith("metadata.name: Invalid value")));
    assert.ok(errors(remote({ groupPriorityMinimum: 0 })).includes("spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000"));
    assert.ok(errors(remote({ versionPriority: 1001 })).includes("spec.versionPriority: Invalid value: 1001: must be positive and less than 1000"));
    assert.ok(errors(remote({ insecureSkipTLSVerify: true, caBundle: "Zm9v" })).includes("spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"));
    assert.ok(errors(remote({ service: null, caBundle: "Zm9v" })).includes(`spec.caBundle: Invalid value: "": local APIServices may not have a caBundle`));
    assert.ok(errors(remote({ service: { namespace: "w", name: "api", port: 70000 } })).some((e) => e.startsWith("spec.service.port: Invalid value: 70000")));
  });
});
