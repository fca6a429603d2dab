import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinResources } from "../api/resources.js";
import { ApiError } from "../api/errors.js";
import { checkTypes, goTypeName } from "./type-check.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are free-form JSON

const info = (kind: string) => builtinResources.find((r) => r.kind === kind)!;
const pod = (container: Obj, spec: Obj = {}): Obj => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox", ...container }], ...spec } });

function problem(kind: string, obj: Obj): string | undefined {
  try {
    checkTypes(info(kind), obj);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, "BadRequest");
    return err.message.replace(`${kind} in version "${info(kind).version}" cannot be handled as a ${kind}: `, "");
  }
}

describe("checkTypes", () => {
  const cases: [string, string, Obj, string | undefined][] = [
    ["a valid pod", "Pod", pod({ ports: [{ containerPort: 80 }], resources: { limits: { cpu: "500m", memory: "1Gi" } } }), undefined],
    ["a number for a string", "Pod", pod({ image: 5 }), "json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string"],
    ["a string for an int32", "Pod", pod({ ports: [{ containerPort: "80" }] }), "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"],
    ["a fraction for an int32", "Pod", pod({ ports: [{ containerPort: 80.5 }] }), "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"],
    ["an int32 out of range", "Pod", pod({ ports: [{ containerPort: 2 ** 31 }] }), "json: cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"],
    ["an int64 in range", "Pod", pod({}, { activeDeadlineSeconds: 2 ** 40 }), undefined],
    ["a string for a bool", "Pod", pod({ stdin: "yes" }), "json: cannot unmarshal string into Go struct field Container.spec.containers.stdin of type bool"],
    ["an object for a list", "Pod", { spec: { containers: { name: "c" } } }, "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"],
    ["a string for a struct", "Pod", { spec: { containers: ["c"] } }, "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type v1.Container"],
    ["a string for metadata", "Pod", { metadata: "x" }, "json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta"],
    ["a number as a label", "Pod", { metadata: { labels: { a: 1 } } }, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"],
    ["a bad quantity", "Pod", pod({ resources: { limits: { cpu: "lots" } } }), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ["a bool quantity", "Pod", pod({ resources: { requests: { cpu: true } } }), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ["a number quantity", "Pod", pod({ resources: { requests: { cpu: 1 } } }), undefined],
    ["int-or-string as a string", "Service", { spec: { ports: [{ port: 80, targetPort: "http" }] } }, undefined],
    ["int-or-string as a bool", "Service", { spec: { ports: [{ port: 80, targetPort: true }] } }, "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32"],
    ["a number in ConfigMap data", "ConfigMap", { data: { n: 1 } }, "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"],
    ["Secret data not base64", "Secret", { data: { a: "not base64!" } }, "illegal base64 data at input byte 3"],
    ["Secret data base64", "Secret", { data: { a: "aGVsbG8=" } }, undefined],
    ["Secret data a number", "Secret", { data: { a: 5 } }, "json: cannot unmarshal number into Go struct field Secret.data of type []uint8"],
    ["a bad timestamp", "Pod", { metadata: { creationTimestamp: "yesterday" } }, 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'],
    ["nulls anywhere", "Pod", { metadata: { labels: null }, spec: { containers: [null], nodeName: null } }, undefined],
    ["free-form fieldsV1", "Pod", { metadata: { managedFields: [{ manager: "m", fieldsV1: { "f:spec": { ".": {} } } }] } }, undefined],
    ["a CRD schema, bool and array forms", "CustomResourceDefinition", { spec: { versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object", additionalProperties: false, items: [{ type: "string" }], maximum: 1.5, default: { any: ["thing"] } } } }] } }, undefined],
    ["a CRD schema with a bad type", "CustomResourceDefinition", { spec: { versions: [{ name: "v1", schema: { openAPIV3Schema: { properties: { a: { type: 5 } } } } }] } }, "json: cannot unmarshal number into Go struct field JSONSchemaProps.spec.versions.schema.openAPIV3Schema.properties.type of type string"],
    ["apps/v1 names its version alone", "Deployment", { spec: { replicas: "3" } }, "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"],
  ];
  for (const [name, kind, obj, want] of cases) {
    it(name, () => assert.equal(problem(kind, obj), want));
  }

  it("decodes nulls in lists and number quantities as Go does", () => {
    const p = pod({ resources: { requests: { cpu: 0.5, memory: 1024 } } }, { containers: [{ name: "c", image: "x", resources: { requests: { cpu: 0.5, memory: 1024 } }, args: [null] }, null] });
    checkTypes(info("Pod"), p);
    assert.deepEqual(p.spec.containers[0].resources.requests, { cpu: "500m", memory: "1024" });
    assert.deepEqual(p.spec.containers[0].args, [""]);
    assert.deepEqual(p.spec.containers[1], {});
  });

  it("answers a patch's result with 422 on the patch, as upstream's patcher", () => {
    const out = pod({ image: 5 });
    assert.throws(() => checkTypes(info("Pod"), out, { from: "patch", quoted: JSON.stringify(out) }), (err: ApiError) =>
      err.code === 422 && err.reason === "Invalid" && err.message.startsWith(' "" is invalid: patch: Invalid value: "{\\"apiVersion') &&
      err.message.endsWith(": json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string") &&
      err.details?.causes?.[0]?.field === "patch");
  });

  it("leaves custom resources to their own schema", () => {
    checkTypes({ ...info("Pod"), crd: { schema: {} } } as never, { spec: 5 });
  });

  it("names Go types as upstream's messages do", () => {
    const ref = (n: string) => ({ $ref: `#/components/schemas/${n}` });
    assert.equal(goTypeName({ type: "array", items: ref("io.k8s.api.core.v1.Container") }), "[]v1.Container");
    assert.equal(goTypeName({ type: "object", additionalProperties: { type: "string", format: "byte" } }), "map[string][]uint8");
    assert.equal(goTypeName(ref("io.k8s.apimachinery.pkg.api.resource.Quantity")), "resource.Quantity");
    assert.equal(goTypeName({ "x-kubernetes-int-or-string": true }), "intstr.IntOrString");
  });
});
