import assert from "node:assert/strict";
import { it } from "node:test";
import { fieldErrorMessage } from "./errors.js";
import { dns1035Label, validateObjectMeta, validateObjectMetaUpdate, validatePodSpec } from "./validation.js";

const meta = { name: "x", namespace: "default" };

it("bounds annotations to 256 KiB in all, as upstream", () => {
  const big = validateObjectMeta({ metadata: { ...meta, annotations: { a: "x".repeat(256 * 1024) } } }, true).map(fieldErrorMessage);
  assert.deepEqual(big, ["Too long: must have at most 262144 bytes"]);
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, annotations: { a: "x".repeat(1000) } } }, true), []);
});

it("checks names by the resource's rule, a DNS-1123 subdomain unless it has its own", () => {
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, name: "a.b" } }, true), []);
  assert.match(fieldErrorMessage(validateObjectMeta({ metadata: { ...meta, name: "A" } }, true)[0]!), /lowercase RFC 1123 subdomain/);
  assert.match(fieldErrorMessage(validateObjectMeta({ metadata: { ...meta, name: "a.b" } }, true, dns1035Label)[0]!), /DNS-1035 label/);
  assert.deepEqual(validateObjectMeta({ metadata: { namespace: "default" } }, true).map((e) => e.field), ["metadata.name"]);
});

it("lets at most one ownerReference be the controller, as upstream", () => {
  const ref = (name: string, controller?: boolean) => ({ apiVersion: "apps/v1", kind: "ReplicaSet", name, uid: `uid-${name}`, ...(controller === undefined ? {} : { controller }) });
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, ownerReferences: [ref("a", true), ref("b", false), ref("c")] } }, true), []);
  const two = validateObjectMeta({ metadata: { ...meta, ownerReferences: [ref("a", true), ref("b", true)] } }, true);
  assert.equal(two.length, 1);
  assert.equal(two[0]!.field, "metadata.ownerReferences");
  assert.match(two[0]!.detail!, /^Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/);
});

const podWithMount = (mount: Record<string, string>, where: "containers" | "initContainers" = "containers") => ({
  restartPolicy: "Always", dnsPolicy: "ClusterFirst", volumes: [{ name: "data", emptyDir: {} }],
  containers: [{ name: "c", image: "busybox", imagePullPolicy: "IfNotPresent", ...(where === "containers" ? { volumeMounts: [{ name: "data", mountPath: "/data", ...mount }] } : {}) }],
  ...(where === "initContainers" ? { initContainers: [{ name: "i", image: "busybox", imagePullPolicy: "IfNotPresent", volumeMounts: [{ name: "data", mountPath: "/data", ...mount }] }] } : {}),
});
const mountErrors = (mount: Record<string, string>, where?: "containers" | "initContainers") =>
  validatePodSpec("spec", podWithMount(mount, where)).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

it("takes a relative subPath or subPathExpr without '..', and not both, as upstream", () => {
  assert.deepEqual(mountErrors({ subPath: "a/b" }), []);
  assert.deepEqual(mountErrors({ subPathExpr: "logs/$(POD_NAME)" }), []);
  assert.deepEqual(mountErrors({ subPathExpr: "..a/b..", subPath: "" }), []);
  assert.deepEqual(mountErrors({ subPath: "a", subPathExpr: "$(POD_NAME)" }), [
    'spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD_NAME)": subPathExpr and subPath are mutually exclusive',
  ]);
  assert.deepEqual(mountErrors({ subPathExpr: "/abs/$(POD_NAME)" }), ['spec.containers[0].volumeMounts.subPathExpr: Invalid value: "/abs/$(POD_NAME)": must be a relative path']);
  assert.deepEqual(mountErrors({ subPathExpr: "a/../$(POD_NAME)" }), ['spec.containers[0].volumeMounts.subPathExpr: Invalid value: "a/../$(POD_NAME)": must not contain \'..\'']);
  assert.deepEqual(mountErrors({ subPath: "/x/.." }), [
    'spec.containers[0].volumeMounts.subPath: Invalid value: "/x/..": must be a relative path',
    'spec.containers[0].volumeMounts.subPath: Invalid value: "/x/..": must not contain \'..\'',
  ]);
  assert.deepEqual(mountErrors({ subPath: "..", subPathExpr: "x" }, "initContainers"), [
    'spec.initContainers[0].volumeMounts.subPath: Invalid value: "..": must not contain \'..\'',
    'spec.initContainers[0].volumeMounts[0].subPathExpr: Invalid value: "x": subPathExpr and subPath are mutually exclusive',
  ]);
});

it("reports a mount of a volume the pod does not have as upstream's Not found", () => {
  assert.deepEqual(mountErrors({ name: "other" }), ['spec.containers[0].volumeMounts[0].name: Not found: "other"']);
  const [cause] = validatePodSpec("spec", podWithMount({ name: "other" }));
  assert.equal(cause?.type, "FieldValueNotFound");
});

it("refuses an update's other uid and deletion marks a client set or changed, as upstream's ValidateObjectMetaUpdate", () => {
  const old = { name: "x", uid: "u1", deletionTimestamp: "2030-01-02T03:04:05.120Z", deletionGracePeriodSeconds: 30 };
  const errors = (meta: Record<string, unknown>, was: Record<string, unknown> = old) => validateObjectMetaUpdate(meta, was).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
  assert.deepEqual(errors({ ...old }), []);
  assert.deepEqual(errors({ ...old, uid: "u2" }), ['metadata.uid: Invalid value: "u2": field is immutable']);
  assert.deepEqual(errors({ ...old, deletionGracePeriodSeconds: 5 }), ["metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable"]);
  assert.deepEqual(errors({ name: "x", uid: "u1", deletionTimestamp: "2030-01-02T03:04:05.12Z" }, { name: "x", uid: "u1" }), [
    "metadata.deletionTimestamp: Invalid value: 2030-01-02 03:04:05.12 +0000 UTC: field is immutable",
  ]);
  assert.deepEqual(errors({ name: "x", uid: "u1", deletionTimestamp: null }, { name: "x", uid: "u1" }), [], "null is no mark");
});
