/**
 * /openapi/v2 as clients read it: the JSON document with every kind's
 * definition and operations, a custom resource's schema as upstream
 * publishes it, ETags; and the protobuf form through a real client of that
 * era — kubectl v1.20 (from ../shared/conformance), which reads v2 for
 * explain, client-side validation and its dry-run check.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { startControlPlane } from "../../helpers/control-plane.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";

interface Doc { definitions: Record<string, { properties?: Record<string, unknown>; "x-kubernetes-group-version-kind"?: unknown[]; type?: string }>; paths: Record<string, Record<string, { parameters?: { name: string }[]; "x-kubernetes-group-version-kind"?: unknown }>> }

const crd = (schema: unknown) => JSON.stringify({
  apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.shop.example.com" },
  spec: { group: "shop.example.com", scope: "Namespaced", names: { kind: "Widget", plural: "widgets" }, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
});
const widgetSchema = {
  type: "object", description: "A widget for sale",
  properties: { spec: { type: "object", description: "What the widget is", properties: { size: { type: "integer", description: "Size of the widget" }, colour: { type: "string" }, extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }, required: ["size"] } },
};

/** GET with an If-None-Match, as clients that cache the document send it. */
function getRaw(kubeconfig: string, path: string, headers: Record<string, string>) {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8"));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  return new Promise<{ code: number; etag?: string }>((resolve, reject) => {
    const req = https.get(cluster.server + path, {
      headers,
      ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
      cert: Buffer.from(user["client-certificate-data"], "base64"),
      key: Buffer.from(user["client-key-data"], "base64"),
    }, (res) => { res.resume(); res.on("end", () => resolve({ code: res.statusCode ?? 0, etag: res.headers.etag })); });
    req.on("error", reject);
  });
}

/** kubectl v1.20 unpacked from the shared conformance kit, when it is there. */
function oldKubectl(): string | undefined {
  const packed = join(process.cwd(), "..", "shared", "conformance", "bin", "kubectl.xz");
  if (!existsSync(packed)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "skiff-kubectl120-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "kubectl");
  writeFileSync(bin, execFileSync("xz", ["-dc", packed], { maxBuffer: 256 * 1024 * 1024 }));
  chmodSync(bin, 0o755);
  return bin;
}

describe("OpenAPI v2", () => {
  it("describes every kind and operation, and a custom resource's schema while it is served", async () => {
    await using cp = await startControlPlane();
    const kubectl = kubectlFor(cp.kubeconfig);
    const read = async () => JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v2"])) as Doc;
    const before = await read();
    const deployment = before.definitions["io.k8s.api.apps.v1.Deployment"]!;
    assert.deepEqual(deployment["x-kubernetes-group-version-kind"], [{ group: "apps", kind: "Deployment", version: "v1" }]);
    const patch = before.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!.patch!;
    assert.deepEqual(patch["x-kubernetes-group-version-kind"], { group: "apps", kind: "Deployment", version: "v1" });
    assert.ok(patch.parameters!.some((p) => p.name === "dryRun"), "PATCH names its dryRun parameter");
    assert.ok(before.paths["/api/v1/namespaces/{namespace}/pods/{name}/status"], "subresources are listed");
    // kubectl computes apply patches from these once a kind is described here.
    const containers = before.definitions["io.k8s.api.core.v1.PodSpec"]!.properties!.containers as Record<string, unknown>;
    assert.equal(containers["x-kubernetes-patch-strategy"], "merge");
    assert.equal(containers["x-kubernetes-patch-merge-key"], "name");
    const ports = before.definitions["io.k8s.api.core.v1.ServiceSpec"]!.properties!.ports as Record<string, unknown>;
    assert.equal(ports["x-kubernetes-patch-merge-key"], "port");

    await kubectl.ok(["apply", "-f", "-"], { input: crd(widgetSchema) });
    const name = "com.example.shop.v1.Widget";
    const published = await eventually(async () => (await read()).definitions[name], 10_000);
    const { apiVersion, kind, metadata, ...own } = published.properties!;
    assert.ok(apiVersion && kind && metadata, "apiVersion, kind and metadata are added");
    assert.deepEqual(own, {
      spec: { type: "object", description: "What the widget is", properties: { size: { type: "integer", description: "Size of the widget" }, colour: { type: "string" }, extra: { "x-kubernetes-preserve-unknown-fields": true } }, required: ["size"] },
    });
    assert.deepEqual(published["x-kubernetes-group-version-kind"], [{ group: "shop.example.com", kind: "Widget", version: "v1" }]);
    assert.ok((await read()).paths["/apis/shop.example.com/v1/namespaces/{namespace}/widgets/{name}"]);

    // The ETag holds until the set of resources changes.
    const first = await getRaw(cp.kubeconfig, "/openapi/v2", { accept: "application/json" });
    assert.equal(first.code, 200);
    assert.equal((await getRaw(cp.kubeconfig, "/openapi/v2", { accept: "application/json", "if-none-match": first.etag! })).code, 304);
    await kubectl.ok(["delete", "crd", "widgets.shop.example.com"]);
    await eventually(async () => (await read()).definitions[name] === undefined, 10_000);
    assert.equal((await getRaw(cp.kubeconfig, "/openapi/v2", { accept: "application/json", "if-none-match": first.etag! })).code, 200);
  });

  const kubectl120 = oldKubectl();
  it("serves kubectl v1.20's explain, client-side validation and dry-run from the protobuf document", { skip: kubectl120 ? false : "../shared/conformance/bin/kubectl.xz is not here" }, async () => {
    await using cp = await startControlPlane();
    const kubectl = kubectlFor(cp.kubeconfig);
    await kubectl.ok(["apply", "-f", "-"], { input: crd(widgetSchema) });
    await eventually(async () => (await kubectl.run(["get", "widgets"])).code === 0, 10_000);
    // Asynchronous: the API server answers from this very process.
    const old = (args: string[], input?: string) => new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(kubectl120 as string, ["--kubeconfig", cp.kubeconfig, ...args], { env: { ...process.env, HOME: kubectl.cacheDir }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0, out: `${stdout}${stderr}` });
      });
      child.stdin!.end(input ?? "");
    });
    let explain = await old(["explain", "widgets.spec"]);
    for (let i = 0; i < 30 && explain.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      explain = await old(["explain", "widgets.spec"]);
    }
    assert.equal(explain.code, 0, explain.out);
    const explained = explain.out;
    assert.match(explained, /DESCRIPTION:\s+What the widget is/);
    assert.match(explained, /size\s+<integer> -required-\s+Size of the widget/);
    assert.match((await old(["explain", "deployments.spec.replicas"])).out, /FIELD:\s+replicas <integer>/);

    const widget = (spec: unknown) => JSON.stringify({ apiVersion: "shop.example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "default" }, spec });
    const unknown = await old(["create", "-f", "-"], widget({ size: 1, flavour: "x" }));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.out, /unknown field "flavour"/);
    const missing = await old(["create", "-f", "-"], widget({ colour: "red" }));
    assert.match(missing.out, /missing required field "size"/);
    // Under x-kubernetes-preserve-unknown-fields anything goes.
    assert.equal((await old(["create", "-f", "-"], widget({ size: 2, extra: { any: ["thing"] } }))).code, 0);
    assert.equal((await old(["create", "deployment", "web", "--image=busybox"])).code, 0);
    const dryRun = await old(["scale", "deployment", "web", "--replicas=3", "--dry-run=server"]);
    assert.equal(dryRun.code, 0, dryRun.out);
    const diff = await old(["diff", "-f", "-"], widget({ size: 3, extra: { any: ["thing"] } }));
    assert.equal(diff.code, 1, diff.out); // 1: differences found
    assert.match(diff.out, /-\s+size: 2\n\+\s+size: 3/);
  });
});
