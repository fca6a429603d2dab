import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeProtobufObject } from "./decode.js";

// A tiny protobuf writer, enough to build test messages.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = BigInt(n);
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return Buffer.from(out);
};
const bytesField = (no: number, value: Buffer | string) => {
  const b = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
const intField = (no: number, value: number) => Buffer.concat([varint(no << 3), varint(value)]);
const msg = (...fields: Buffer[]) => Buffer.concat(fields);
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), msg(bytesField(1, msg(bytesField(1, apiVersion), bytesField(2, kind))), bytesField(2, raw), bytesField(3, ""), bytesField(4, ""))]);

describe("protobuf request bodies", () => {
  it("decodes a Deployment with maps, repeated messages, IntOrString and zero values dropped", () => {
    const meta = msg(bytesField(1, "web"), bytesField(2, ""), bytesField(3, "shop"), intField(7, 0), bytesField(11, msg(bytesField(1, "app"), bytesField(2, "web"))));
    const container = msg(bytesField(1, "c"), bytesField(2, "nginx:1"), bytesField(3, "sleep"), bytesField(3, "1"), bytesField(6, msg(intField(3, 8080))), bytesField(14, ""));
    const spec = msg(intField(1, 0), bytesField(2, msg(bytesField(1, msg(bytesField(1, "app"), bytesField(2, "web"))))),
      bytesField(3, msg(bytesField(1, msg(bytesField(11, msg(bytesField(1, "app"), bytesField(2, "web"))))), bytesField(2, msg(bytesField(2, container))))),
      bytesField(4, msg(bytesField(1, "RollingUpdate"), bytesField(2, msg(bytesField(1, msg(intField(1, 1), bytesField(3, "30%"))), bytesField(2, msg(intField(1, 0), intField(2, 2))))))));
    const obj = decodeProtobufObject(envelope("apps/v1", "Deployment", msg(bytesField(1, meta), bytesField(2, spec))));
    assert.deepEqual(obj, {
      apiVersion: "apps/v1", kind: "Deployment",
      metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx:1", command: ["sleep", "1"], ports: [{ containerPort: 8080 }] }] } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "30%", maxSurge: 2 } },
      },
    });
  });
  it("decodes Secret data as base64 and inlines embedded structs", () => {
    const secret = decodeProtobufObject(envelope("v1", "Secret", msg(bytesField(1, msg(bytesField(1, "s"))), bytesField(2, msg(bytesField(1, "k"), bytesField(2, Buffer.from([0, 255])))))));
    assert.deepEqual(secret.data, { k: "AP8=" });
    const ing = decodeProtobufObject(envelope("networking.k8s.io/v1", "Ingress", msg(bytesField(1, msg(bytesField(1, "i"))), bytesField(2, msg(bytesField(3, msg(bytesField(1, "h"), bytesField(2, msg(bytesField(1, msg(bytesField(1, msg(bytesField(1, "/"), bytesField(3, "Prefix"))))))))))))));
    assert.deepEqual(ing.spec, { rules: [{ host: "h", http: { paths: [{ path: "/", pathType: "Prefix" }] } }] });
  });
  it("refuses bodies it cannot read with 400, and unknown kinds with 415", () => {
    assert.throws(() => decodeProtobufObject(Buffer.from("nope")), (e: { code?: number }) => e.code === 400);
    assert.throws(() => decodeProtobufObject(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff])), (e: { code?: number }) => e.code === 400);
    assert.throws(() => decodeProtobufObject(envelope("v1", "Mystery", Buffer.alloc(0))), (e: { code?: number }) => e.code === 415);
  });
});
