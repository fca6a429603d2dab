/**
 * Bad input that users found answered with a 500 or stored unreadable: each is
 * now refused as upstream v1.32 refuses it, and what is stored stays readable.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { describe, it } from "node:test";
import { startControlPlane } from "../../helpers/control-plane.js";
import { kubectlFor } from "../../helpers/kubectl.js";
import { kubeconfigAgent } from "../../helpers/kubeconfig-agent.js";

interface Answer { code: number; status: { message?: string; reason?: string; details?: { causes?: { field?: string }[] } } }

function rawClient(kubeconfig: string) {
  const { server, agent } = kubeconfigAgent(kubeconfig);
  const send = (method: string, path: string, body: string, type = "application/json") => new Promise<Answer>((resolve, reject) => {
    const req = https.request(server + path, { method, agent, headers: { "content-type": type } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, status: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    req.on("error", reject);
    req.end(body);
  });
  return { send, close: () => agent.destroy() };
}

const cms = "/api/v1/namespaces/default/configmaps";
const configMap = (name: string, data: unknown) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });

describe("bad input", () => {
  it("is refused with upstream's codes and messages, and never stored unreadable", async () => {
    await using cp = await startControlPlane();
    const http = rawClient(cp.kubeconfig);
    try {
      const pod = await http.send("POST", "/api/v1/namespaces/default/pods", JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: 5 }] } }));
      assert.equal(pod.code, 400);
      assert.equal(pod.status.reason, "BadRequest");
      assert.equal(pod.status.message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string');

      const number = await http.send("POST", cms, configMap("n", { n: 1 }));
      assert.equal(number.code, 400);
      assert.equal(number.status.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');

      let deep = "1";
      for (let i = 0; i < 6000; i++) deep = `{"a":${deep}}`;
      const nested = await http.send("POST", cms, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":${deep}}`);
      assert.equal(nested.code, 400);
      assert.match(nested.status.message!, /exceeded max depth/);
      const nestedYaml = await http.send("POST", cms, `metadata: {name: d}\nx: ${"[".repeat(6000)}${"]".repeat(6000)}\n`, "application/yaml");
      assert.equal(nestedYaml.code, 400);

      const big = await http.send("POST", cms, configMap("big", { a: "x".repeat(2.9 * 1024 * 1024) }));
      assert.equal(big.code, 422);
      assert.equal(big.status.message, 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes');
      const bigSecret = await http.send("POST", "/api/v1/namespaces/default/secrets", JSON.stringify({ metadata: { name: "s" }, data: { a: Buffer.alloc(1024 * 1024 + 1).toString("base64") } }));
      assert.equal(bigSecret.code, 422);
      assert.equal(bigSecret.status.message, 'Secret "s" is invalid: data: Too long: must have at most 1048576 bytes');
      const badKey = await http.send("POST", cms, configMap("k", { "a/b": "x" }));
      assert.equal(badKey.code, 422);
      assert.match(badKey.status.message!, /data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/);

      // Under every per-field limit but over etcd's request limit: 413, on SQLite as on etcd.
      const args = Array.from({ length: 8 }, () => "y".repeat(200 * 1024));
      const huge = await http.send("POST", "/api/v1/namespaces/default/pods", JSON.stringify({ metadata: { name: "huge" }, spec: { containers: [{ name: "c", image: "x", args }] } }));
      assert.equal(huge.code, 413);
      assert.equal(huge.status.reason, "RequestEntityTooLarge");
      assert.equal(huge.status.message, "etcdserver: request is too large");

      // A patch whose result has a wrong type: 422 on "patch", as upstream's patcher answers.
      assert.equal((await http.send("POST", cms, configMap("ok", { a: "b" }))).code, 201);
      const patched = await http.send("PATCH", `${cms}/ok`, JSON.stringify({ data: { a: 1 } }), "application/merge-patch+json");
      assert.equal(patched.code, 422);
      assert.equal(patched.status.details?.causes?.[0]?.field, "patch");
      assert.match(patched.status.message!, /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal number into Go struct field ConfigMap\.data of type string$/);
      const jsonPatched = await http.send("PATCH", `${cms}/ok`, JSON.stringify([{ op: "add", path: "/data/n", value: true }]), "application/json-patch+json");
      assert.equal(jsonPatched.code, 422);

      const kubectl = kubectlFor(cp.kubeconfig);
      assert.match(await kubectl.ok(["describe", "configmaps", "-n", "default"]), /Name:\s+ok/);
      const listed = JSON.parse(await kubectl.ok(["get", "configmaps,pods,secrets", "-A", "-o", "json"])) as { items: { metadata: { name: string } }[] };
      assert.deepEqual(listed.items.map((i) => i.metadata.name).filter((n) => ["ok", "big", "n", "d", "huge", "s", "k"].includes(n)), ["ok"]);
    } finally {
      http.close();
    }
  });
});
