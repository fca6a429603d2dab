import assert from "node:assert/strict";
import { it } from "node:test";
import { revisionData } from "./revisions.js";

it("writes a revision's data as Go encodes upstream's patch, byte for byte: sorted keys, $patch first, Go's zero fields", () => {
  const template = { spec: { containers: [{ name: "c", image: "busybox", ports: [{ protocol: "TCP", containerPort: 80 }] }], restartPolicy: "Always" }, metadata: { labels: { app: "a" } } };
  assert.equal(JSON.stringify(revisionData(template)),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"a"}},'
    + '"spec":{"containers":[{"image":"busybox","name":"c","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{}}],"restartPolicy":"Always"}}}}');
  assert.equal(template.metadata.labels.app, "a");
  assert.equal("resources" in template.spec.containers[0]!, false, "the owner's template is left as it is");
});
