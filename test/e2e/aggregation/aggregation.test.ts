/**
 * API aggregation as an extension API server meets it (a metrics-server,
 * a sample-apiserver): the extension-apiserver-authentication ConfigMap,
 * local APIServices for what the server serves itself, an APIService
 * backed by a Service whose endpoint is a test server on loopback, its
 * Available condition, its resources in discovery and kubectl, requests
 * proxied with the user's identity over the front-proxy certificate (never
 * the client's credentials or forged identity headers), RBAC applied before
 * proxying, and an APIService without a Service answering 503.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startExtensionServer, type ExtensionServer } from "../../helpers/extension-apiserver.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const service = (port: number) => `
apiVersion: v1
kind: Namespace
metadata: {name: wardle}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: wardle}
spec:
  ports: [{name: https, port: 443, targetPort: ${port}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-1, namespace: wardle, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
ports: [{name: https, port: ${port}, protocol: TCP}]
endpoints: [{addresses: ["127.0.0.1"], conditions: {ready: true}}]
`;

const apiService = (name: string, group: string, svc: object | null, caBundle?: string) => JSON.stringify({
  apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name },
  spec: { group, version: "v1alpha1", service: svc, ...(caBundle ? { caBundle } : {}), groupPriorityMinimum: 1000, versionPriority: 15 },
});

describe("API aggregation", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let extension: ExtensionServer;
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    await extension?.close();
    await server?.[Symbol.asyncDispose]();
  });

  it("publishes how extension servers authenticate the front proxy, and lists its own groups as Local APIServices", async () => {
    const cm = await json(["get", "configmap", "extension-apiserver-authentication", "-n", "kube-system"]);
    assert.match(cm.data["client-ca-file"], /BEGIN CERTIFICATE/);
    assert.match(cm.data["requestheader-client-ca-file"], /BEGIN CERTIFICATE/);
    assert.notEqual(cm.data["requestheader-client-ca-file"], cm.data["client-ca-file"], "a CA of its own for the front proxy");
    assert.deepEqual(JSON.parse(cm.data["requestheader-allowed-names"]), ["front-proxy-client"]);
    assert.deepEqual(JSON.parse(cm.data["requestheader-username-headers"]), ["X-Remote-User"]);
    assert.deepEqual(JSON.parse(cm.data["requestheader-group-headers"]), ["X-Remote-Group"]);
    assert.deepEqual(JSON.parse(cm.data["requestheader-extra-headers-prefix"]), ["X-Remote-Extra-"]);
    const listed = await eventually(async () => {
      const out = await kubectl.ok(["get", "apiservices"]);
      return /^v1\.apps\s+Local\s+True\s/m.test(out) ? out : undefined;
    });
    assert.match(listed!, /^NAME\s+SERVICE\s+AVAILABLE\s+AGE$/m);
    assert.match(listed!, /^v1\.\s+Local\s+True\s/m);
    assert.match(listed!, /^v1\.apiregistration\.k8s\.io\s+Local\s+True\s/m);
  });

  it("serves an extension server's group through its APIService, as the user who asked", async () => {
    const cm = await json(["get", "configmap", "extension-apiserver-authentication", "-n", "kube-system"]);
    extension = await startExtensionServer(cm.data["requestheader-client-ca-file"], ["api.wardle.svc"]);
    await kubectl.ok(["apply", "-f", "-"], { input: service(extension.port) });
    await kubectl.ok(["apply", "-f", "-"], { input: apiService("v1alpha1.wardle.example.com", "wardle.example.com", { namespace: "wardle", name: "api", port: 443 }, extension.caBundle) });
    const row = await eventually(async () => {
      const out = await kubectl.ok(["get", "apiservice", "v1alpha1.wardle.example.com"]);
      return /\swardle\/api\s+True\s/.test(out) ? out : undefined;
    }, 20_000, 300);
    assert.ok(row);
    const condition = (await json(["get", "apiservice", "v1alpha1.wardle.example.com"])).status.conditions.find((c: Json) => c.type === "Available");
    assert.deepEqual([condition.reason, condition.message], ["Passed", "all checks passed"]);
    // Discovery lists it; kubectl finds the resource by name and short name.
    const resources = await eventually(async () => {
      const out = await kubectl.ok(["api-resources", "--api-group=wardle.example.com"]);
      return /flunders/.test(out) ? out : undefined;
    }, 20_000, 300);
    assert.match(resources!, /^flunders\s+fl\s+wardle\.example\.com\/v1alpha1\s+true\s+Flunder$/m);
    const flunder = await json(["get", "flunder", "first", "-n", "default"]);
    assert.equal(flunder.metadata.annotations["wardle.example.com/asked-by"], "admin");
    assert.match(await kubectl.ok(["get", "fl", "-n", "default"]), /^first\s/m);
    // What the extension server was sent: the front proxy's certificate, the user's identity, no client credentials.
    const proxied = extension.received.filter((r) => r.path.startsWith("/apis/wardle.example.com/v1alpha1/namespaces/default/flunders"));
    assert.ok(proxied.length > 0);
    for (const r of proxied) {
      assert.equal(r.clientCN, "front-proxy-client");
      assert.equal(r.headers["x-remote-user"], "admin");
      assert.ok(String(r.headers["x-remote-group"]).includes("system:masters"), String(r.headers["x-remote-group"]));
      assert.equal(r.headers.authorization, undefined);
    }
  });

  it("merges the extension server's OpenAPI into /openapi/v2 and lists its v3 document in /openapi/v3", async () => {
    const flunderPath = "/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}";
    const v2 = await eventually(async () => {
      const doc = JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v2"]));
      return doc.paths[flunderPath] ? doc : undefined;
    }, 20_000, 300);
    assert.equal(v2.paths[flunderPath].get.operationId, "readWardleV1alpha1NamespacedFlunder");
    assert.equal(v2.definitions["com.example.wardle.v1alpha1.Flunder"].description, "A Flunder is the wardle server's kind.");
    // A definition both have stays the API server's.
    assert.notEqual(v2.definitions["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].description, "wardle's own ObjectMeta");
    assert.ok(v2.paths["/api/v1/namespaces/{namespace}/pods/{name}"], "the server's own paths stay");

    const root = JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v3"]));
    const url: string = root.paths["apis/wardle.example.com/v1alpha1"]?.serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/apis\/wardle\.example\.com\/v1alpha1\?hash=[0-9A-F]{128}$/);
    const v3 = JSON.parse(await kubectl.ok(["get", "--raw", url]));
    assert.deepEqual(v3.components.schemas["com.example.wardle.v1alpha1.Flunder"]["x-kubernetes-group-version-kind"], [{ group: "wardle.example.com", version: "v1alpha1", kind: "Flunder" }]);
    // kubectl explain reads it.
    assert.match(await kubectl.ok(["explain", "flunders.spec.reference"]), /The name of another flunder\./);
  });

  it("authorizes before proxying, and never passes identity headers a client forged", async () => {
    const denied = await kubectl.run(["get", "flunders", "-n", "default", "--as=jane"]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /flunders\.wardle\.example\.com is forbidden: User "jane" cannot list resource "flunders" in API group "wardle\.example\.com" in the namespace "default"/);
    assert.ok(!extension.received.some((r) => r.headers["x-remote-user"] === "jane"), "a refused request is not proxied");
    // The admin's own request, with an X-Remote-User of its making: the extension server sees the admin.
    const kc = parseYaml(readFileSync(server.kubeconfig, "utf8"));
    const cluster = kc.clusters[0].cluster;
    const user = kc.users[0].user;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${cluster.server}/apis/wardle.example.com/v1alpha1/namespaces/default/flunders/forged`, {
        ca: Buffer.from(cluster["certificate-authority-data"], "base64"), cert: Buffer.from(user["client-certificate-data"], "base64"), key: Buffer.from(user["client-key-data"], "base64"),
        headers: { "X-Remote-User": "mallory", "X-Remote-Group": "system:masters" },
      }, (res) => { let text = ""; res.on("data", (d: Buffer) => { text += d.toString(); }); res.on("end", () => resolve(text)); });
      req.on("error", reject);
      req.end();
    });
    assert.equal(JSON.parse(body).metadata.annotations["wardle.example.com/asked-by"], "admin");
    const forged = extension.received.find((r) => r.path.endsWith("/flunders/forged"))!;
    assert.equal(forged.headers["x-remote-user"], "admin");
  });

  it("reports an APIService whose Service is missing as unavailable, and answers its requests with 503", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: apiService("v1alpha1.gone.example.com", "gone.example.com", { namespace: "wardle", name: "nobody", port: 443 }, extension.caBundle) });
    const row = await eventually(async () => {
      const out = await kubectl.ok(["get", "apiservice", "v1alpha1.gone.example.com"]);
      return /\swardle\/nobody\s+False \(ServiceNotFound\)\s/.test(out) ? out : undefined;
    }, 20_000, 300);
    assert.ok(row);
    const condition = (await json(["get", "apiservice", "v1alpha1.gone.example.com"])).status.conditions.find((c: Json) => c.type === "Available");
    assert.equal(condition.message, `service/nobody in "wardle" is not present`);
    const r = await kubectl.run(["get", "--raw", "/apis/gone.example.com/v1alpha1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /service unavailable|ServiceUnavailable|503/);
    // Taken away, its group is gone from discovery.
    await kubectl.ok(["delete", "apiservice", "v1alpha1.wardle.example.com"]);
    await eventually(async () => !/flunders/.test(await kubectl.ok(["api-resources"])) || undefined, 20_000, 300);
    // And so are its OpenAPI documents.
    assert.equal(JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v3"])).paths["apis/wardle.example.com/v1alpha1"], undefined);
    assert.equal(JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v2"])).definitions["com.example.wardle.v1alpha1.Flunder"], undefined);
  });
});
