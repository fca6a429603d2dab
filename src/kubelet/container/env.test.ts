import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigMap, Container, Secret } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import { containerEnv, EnvError, type EnvSources } from "./env.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function sources(configMaps: Record<string, ConfigMap>, secrets: Record<string, Secret>): EnvSources {
  return { configMap: (ns, name) => configMaps[`${ns}/${name}`], secret: (ns, name) => secrets[`${ns}/${name}`], services: () => [] };
}

const src = sources({ "shop/app": { data: { MODE: "prod", LEVEL: "3" } } }, { "shop/creds": { data: { PASSWORD: b64("s3cret") } } });

function envOf(container: Partial<Container>): Record<string, string> {
  const c: Container = { name: "c", image: "i", ...container };
  const pod: Pod = { metadata: { name: "web", namespace: "shop", uid: "u1" }, spec: { enableServiceLinks: false, containers: [c] } };
  return Object.fromEntries(containerEnv(pod, c, src, "10.244.0.5", { cpu: "2", memory: "4Gi" }).map((e) => [e.key, e.value]));
}

const failure = (container: Partial<Container>) => {
  try { envOf(container); } catch (e) { assert.ok(e instanceof EnvError, String(e)); return e.message; }
  return "no error";
};

describe("a container's environment", () => {
  it("takes envFrom ConfigMaps (with a prefix) and Secrets (decoded), then env with valueFrom", () => {
    assert.deepEqual(envOf({
      envFrom: [{ prefix: "APP_", configMapRef: { name: "app" } }, { secretRef: { name: "creds" } }],
      env: [
        { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "app", key: "LEVEL" } } },
        { name: "PW", valueFrom: { secretKeyRef: { name: "creds", key: "PASSWORD" } } },
        { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "URL", value: "http://$(POD_IP):80" },
      ],
    }), { APP_MODE: "prod", APP_LEVEL: "3", PASSWORD: "s3cret", POD_IP: "10.244.0.5", LEVEL: "3", PW: "s3cret", CPU: "2", URL: "http://10.244.0.5:80" });
  });

  it("says which object or key is missing in upstream's words, unless the reference is optional", () => {
    const cases: [string, Partial<Container>, string][] = [
      ["envFrom a missing ConfigMap", { envFrom: [{ configMapRef: { name: "nope" } }] }, 'configmap "nope" not found'],
      ["a key of a missing Secret", { env: [{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }] }, 'secret "nope" not found'],
      ["a missing key of a ConfigMap", { env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "app", key: "k" } } }] }, "couldn't find key k in ConfigMap shop/app"],
      ["a missing key of a Secret", { env: [{ name: "X", valueFrom: { secretKeyRef: { name: "creds", key: "k" } } }] }, "couldn't find key k in Secret shop/creds"],
    ];
    for (const [name, container, message] of cases) assert.equal(failure(container), message, name);
    assert.deepEqual(envOf({
      envFrom: [{ secretRef: { name: "nope", optional: true } }],
      env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "app", key: "k", optional: true } } }],
    }), {});
  });

  it("skips an envFrom that names neither a ConfigMap nor a Secret (validation refuses one) instead of failing the pod's sync", () => {
    assert.deepEqual(envOf({ envFrom: [{ prefix: "X_" }, { configMapRef: { name: "app" } }] }), { MODE: "prod", LEVEL: "3" });
  });
});
