import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { qualifiedResource } from "../../api/errors.js";
import { builtinResources, type ResourceInfo } from "../../api/resources.js";
import { ResourceCatalog } from "../catalog.js";
import { strategies, strategyFor } from "./strategies.js";

describe("strategy registration", () => {
  it("names only resources that are served", () => {
    const served = new Set(builtinResources.map((r) => qualifiedResource(r.resource, r.group)));
    for (const key of Object.keys(strategies)) assert.ok(served.has(key), `${key} is registered but not a built-in resource`);
  });

  it("finds a built-in resource's strategy by group and resource, not by kind", () => {
    const pods = builtinResources.find((r) => r.group === "" && r.resource === "pods")!;
    assert.equal(strategyFor(pods), strategies.pods);
    // A custom resource whose kind is a built-in one's gets the custom resource strategy.
    const catalog = new ResourceCatalog();
    catalog.setCustomResource({
      metadata: { name: "pods.example.com" },
      spec: { group: "example.com", names: { plural: "pods", kind: "Pod" }, scope: "Namespaced", versions: [{ name: "v1", served: true, storage: true }] },
    });
    const custom = catalog.lookup("example.com", "v1", "pods") as ResourceInfo;
    assert.notEqual(strategyFor(custom), strategies.pods);
    assert.equal(strategyFor(custom).allowCreateOnUpdate, true);
    assert.equal(strategyFor(custom), strategyFor(custom), "one strategy per served version");
  });
});
