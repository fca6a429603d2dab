import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinResources, groupVersion } from "../../api/resources.js";
import { decodeProtobufObject, goDuration } from "./decode.js";
import { kinds, messages } from "./schemas.generated.js";
import { bytesField, doubleField, entry, envelope, intField, intstrInt, intstrString, msg, quantity } from "../../../test/helpers/protobuf-writer.js";

const decodeError = (body: Buffer, kind?: string) => {
  try { decodeProtobufObject(body, kind ? { kind } : undefined); } catch (e) { return e as { code?: number; message: string }; }
  assert.fail("decoded");
};

describe("protobuf request bodies", () => {
  it("decodes a Deployment with replicas: 0 (a pointer), maps, a pod template and IntOrString values", () => {
    const meta = msg(bytesField(1, "web"), bytesField(2, ""), bytesField(3, "shop"), intField(7, 0), entry(11, "app", "web"));
    const container = msg(bytesField(1, "c"), bytesField(2, "nginx:1"), bytesField(3, "sleep"), bytesField(3, "1"), bytesField(6, msg(intField(3, 8080))), bytesField(14, ""));
    const spec = msg(intField(1, 0), bytesField(2, msg(entry(1, "app", "web"))), intField(5, 0),
      bytesField(3, msg(bytesField(1, msg(entry(11, "app", "web"))), bytesField(2, msg(bytesField(2, container))))),
      bytesField(4, msg(bytesField(1, "RollingUpdate"), bytesField(2, msg(bytesField(1, intstrString("30%")), bytesField(2, intstrInt(0)))))));
    const obj = decodeProtobufObject(envelope("apps/v1", "Deployment", msg(bytesField(1, meta), bytesField(2, spec), bytesField(3, ""))));
    assert.deepEqual(obj, {
      apiVersion: "apps/v1", kind: "Deployment",
      metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
      spec: {
        replicas: 0, // *int32: kept; minReadySeconds (int32, omitempty) 0: dropped
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx:1", command: ["sleep", "1"], ports: [{ containerPort: 8080 }] }] } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "30%", maxSurge: 0 } },
      },
      status: {},
    });
  });

  it("decodes a Pod: ports, resources, securityContext, inline volume sources, probes with IntOrString ports", () => {
    const container = msg(
      bytesField(1, "app"), bytesField(2, "busybox"),
      bytesField(6, msg(bytesField(1, "http"), intField(3, 80), bytesField(4, "TCP"))),
      bytesField(8, msg(entry(1, "cpu", quantity("500m")), entry(2, "memory", quantity("64Mi")))),
      bytesField(9, msg(bytesField(1, "data"), intField(2, 1), bytesField(3, "/data"))),
      bytesField(10, msg(bytesField(1, msg(bytesField(3, msg(bytesField(1, intstrString("http")))))), intField(2, 5), intField(4, 0))),
      bytesField(11, msg(bytesField(1, msg(bytesField(2, msg(bytesField(1, "/healthz"), bytesField(2, intstrInt(8080)), bytesField(4, "HTTP"))))))),
      bytesField(15, msg(intField(7, 0), intField(2, 0), intField(4, 1000))),
    );
    const volumes = [
      bytesField(1, msg(bytesField(1, "data"), bytesField(2, msg(bytesField(2, msg(bytesField(1, ""))))))),
      bytesField(1, msg(bytesField(1, "cfg"), bytesField(2, msg(bytesField(19, msg(bytesField(1, msg(bytesField(1, "settings"))), intField(3, 0o644))))))),
    ];
    const spec = msg(...volumes, bytesField(2, container), bytesField(3, "Never"), intField(4, 0), intField(11, 0));
    const pod = decodeProtobufObject(envelope("v1", "Pod", msg(bytesField(1, msg(bytesField(1, "p"))), bytesField(2, spec))), { kind: "Pod" });
    assert.deepEqual(pod.spec, {
      volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "settings", defaultMode: 0o644 } }],
      containers: [{
        name: "app", image: "busybox",
        ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
        resources: { limits: { cpu: "500m" }, requests: { memory: "64Mi" } },
        volumeMounts: [{ name: "data", readOnly: true, mountPath: "/data" }],
        livenessProbe: { tcpSocket: { port: "http" }, initialDelaySeconds: 5 },
        readinessProbe: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" } },
        securityContext: { allowPrivilegeEscalation: false, privileged: false, runAsUser: 1000 },
      }],
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 0, // *int64
    });
  });

  it("decodes a Service with IntOrString target ports", () => {
    const ports = [bytesField(1, msg(bytesField(1, "web"), bytesField(2, "TCP"), intField(3, 80), bytesField(4, intstrString("http")), intField(5, 0))),
      bytesField(1, msg(bytesField(1, "metrics"), bytesField(2, "TCP"), intField(3, 9090), bytesField(4, intstrInt(9091)), intField(5, 0)))];
    const svc = decodeProtobufObject(envelope("v1", "Service", msg(bytesField(1, msg(bytesField(1, "s"), bytesField(3, "ns"))),
      bytesField(2, msg(...ports, entry(2, "app", "web"), bytesField(3, ""), bytesField(4, "ClusterIP"), bytesField(19, "IPv4"))), bytesField(3, msg(bytesField(1, ""))))));
    assert.deepEqual(svc, {
      apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "ns" },
      spec: {
        ports: [{ name: "web", protocol: "TCP", port: 80, targetPort: "http" }, { name: "metrics", protocol: "TCP", port: 9090, targetPort: 9091 }],
        selector: { app: "web" }, type: "ClusterIP", ipFamilies: ["IPv4"],
      },
      status: { loadBalancer: {} },
    });
  });

  it("decodes a CustomResourceDefinition: schema maps, JSON defaults, additionalProperties false, items", () => {
    const json = (v: unknown) => msg(bytesField(1, JSON.stringify(v)));
    const props = msg(
      bytesField(5, "object"),
      entry(29, "size", msg(bytesField(5, "integer"), bytesField(8, json(3)), doubleField(11, 0), doubleField(9, 10))),
      entry(29, "tags", msg(bytesField(5, "array"), bytesField(24, msg(bytesField(1, msg(bytesField(5, "string"))))))),
      entry(29, "mode", msg(bytesField(5, "string"), bytesField(20, json("a")), bytesField(20, json("b")))),
      bytesField(30, msg(intField(1, 0))),
    );
    const root = msg(bytesField(5, "object"), entry(29, "spec", props), intField(38, 1));
    const version = msg(bytesField(1, "v1"), intField(2, 1), intField(3, 1), bytesField(4, msg(bytesField(1, root))), bytesField(5, msg(bytesField(1, msg()))));
    const spec = msg(bytesField(1, "example.com"), bytesField(3, msg(bytesField(1, "widgets"), bytesField(2, "widget"), bytesField(4, "Widget"), bytesField(5, "WidgetList"))), bytesField(4, "Namespaced"), bytesField(7, version));
    const crd = decodeProtobufObject(envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", msg(bytesField(1, msg(bytesField(1, "widgets.example.com"))), bytesField(2, spec))));
    assert.deepEqual(crd.spec, {
      group: "example.com",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      scope: "Namespaced",
      versions: [{
        name: "v1", served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: {
          type: "object", "x-kubernetes-preserve-unknown-fields": true,
          properties: { spec: {
            type: "object",
            properties: {
              size: { type: "integer", default: 3, minimum: 0, maximum: 10 },
              tags: { type: "array", items: { type: "string" } },
              mode: { type: "string", enum: ["a", "b"] },
            },
            additionalProperties: false,
          } },
        } },
      }],
    });
  });

  it("decodes DeleteOptions in any group version, keeping gracePeriodSeconds: 0 and orphanDependents: false", () => {
    const body = msg(intField(1, 0), bytesField(2, msg(bytesField(1, "u-1"))), intField(3, 0), bytesField(4, "Foreground"), bytesField(5, "All"));
    const expected = { gracePeriodSeconds: 0, preconditions: { uid: "u-1" }, orphanDependents: false, propagationPolicy: "Foreground", dryRun: ["All"] };
    assert.deepEqual(decodeProtobufObject(envelope("v1", "DeleteOptions", body), { kind: "DeleteOptions" }), { apiVersion: "v1", kind: "DeleteOptions", ...expected });
    assert.deepEqual(decodeProtobufObject(envelope("apps/v1", "DeleteOptions", body)), { apiVersion: "apps/v1", kind: "DeleteOptions", ...expected });
  });

  it("decodes Secret data as base64, Eviction with its DeleteOptions, and a RawExtension as an object", () => {
    const secret = decodeProtobufObject(envelope("v1", "Secret", msg(bytesField(1, msg(bytesField(1, "s"))), entry(2, "k", Buffer.from([0, 255])))));
    assert.deepEqual(secret.data, { k: "AP8=" });
    const eviction = decodeProtobufObject(envelope("policy/v1beta1", "Eviction", msg(bytesField(1, msg(bytesField(1, "p"))), bytesField(2, msg(intField(1, 30))))));
    assert.deepEqual(eviction, { apiVersion: "policy/v1beta1", kind: "Eviction", metadata: { name: "p" }, deleteOptions: { gracePeriodSeconds: 30 } });
    const rev = decodeProtobufObject(envelope("apps/v1", "ControllerRevision", msg(bytesField(1, msg(bytesField(1, "r"))), bytesField(2, msg(bytesField(1, '{"spec":{"x":1}}'))), intField(3, 2))));
    assert.deepEqual(rev, { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "r" }, data: { spec: { x: 1 } }, revision: 2 });
  });

  it("writes times and durations as Go's JSON does", () => {
    const lease = decodeProtobufObject(envelope("coordination.k8s.io/v1", "Lease", msg(bytesField(1, msg(bytesField(1, "l"), bytesField(8, msg(intField(1, 1700000000))))),
      bytesField(2, msg(bytesField(1, "me"), bytesField(3, msg(intField(1, 1700000001), intField(2, 123456789))))))));
    assert.deepEqual(lease, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l", creationTimestamp: "2023-11-14T22:13:20Z" }, spec: { holderIdentity: "me", acquireTime: "2023-11-14T22:13:21.123456Z" } });
    assert.deepEqual([0n, 1500n, 1000000n, 1500000000n, 90000000000n, 3600000000000n, -2000000000n].map(goDuration), ["0s", "1.5µs", "1ms", "1.5s", "1m30s", "1h0m0s", "-2s"]);
  });

  it("refuses what it cannot read with upstream's 400s", () => {
    assert.match(decodeError(Buffer.from("nope"), "Pod").message, /^the object provided is unrecognized \(must be of type Pod\): provided data does not appear to be a protobuf message/);
    assert.equal(decodeError(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff])).code, 400);
    const unknown = decodeError(envelope("v1", "Mystery", Buffer.alloc(0)), "Pod");
    assert.equal(unknown.code, 400);
    assert.equal(unknown.message, 'Mystery in version "v1" cannot be handled as a Pod: no kind "Mystery" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
    // A field whose wire type contradicts its schema is malformed, not a crash.
    assert.equal(decodeError(envelope("apps/v1", "Deployment", msg(bytesField(2, msg(bytesField(1, "x")))))).code, 400);
  });

  it("has a schema for every kind a client can write, and for each subresource's kind", () => {
    const missing: string[] = [];
    for (const r of builtinResources) {
      if (r.group === "metrics.k8s.io") continue; // read-only (get, list), served from the kubelets
      const writable = r.verbs.some((v) => v === "create" || v === "update");
      if (writable && !kinds[`${groupVersion(r)} ${r.kind}`]) missing.push(`${groupVersion(r)} ${r.kind}`);
      for (const s of r.subresources) {
        if (s.kind && !kinds[`${groupVersion(s.kind)} ${s.kind.kind}`]) missing.push(`${groupVersion(s.kind)} ${s.kind.kind}`);
      }
    }
    assert.deepEqual(missing, []);
    for (const [kind, message] of Object.entries(kinds)) assert.ok(messages[message], `${kind}: no message ${message}`);
  });
});
