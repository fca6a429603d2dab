import assert from "node:assert/strict";
import { it } from "node:test";
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { selectableField } from "../../strategy.js";
import { customResourceStrategy } from "./strategy.js";

it("offers a version's selectable fields to field selectors, as their scalar text or empty when absent", () => {
  const crd: CustomResourceInfo = { preserveUnknownFields: true, printerColumns: [], selectableFields: { "spec.color": ".spec.color", "spec.size": ".spec.size", "spec.branded": ".spec.branded" } };
  const s = customResourceStrategy(crd);
  assert.deepEqual(s.fieldSelectors, ["spec.color", "spec.size", "spec.branded"]);
  const obj = { metadata: { name: "a" }, spec: { color: "blue", size: 3, branded: false } };
  assert.deepEqual(["spec.color", "spec.size", "spec.branded"].map((f) => selectableField(s, obj, f)), ["blue", "3", "false"]);
  assert.equal(selectableField(s, { metadata: { name: "b" } }, "spec.color"), "");
  assert.equal(selectableField(s, obj, "metadata.name"), "a");
});
