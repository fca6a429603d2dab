/**
 * The API's long tail: unusual and bad input a user or a client library sends,
 * answered as upstream v1.32 answers it, against the real `skiff server`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { kubectlFor } from "../../helpers/kubectl.js";
import { kubeconfigAgent } from "../../helpers/kubeconfig-agent.js";

interface Answer { code: number; headers: Record<string, string | string[] | undefined>; text: string; raw: Buffer; json(): Status }
interface Status { kind?: string; message?: string; reason?: string; code?: number; details?: { retryAfterSeconds?: number; causes?: { reason?: string; message?: string; field?: string }[] } }

/** An HTTP/1.1 client with the admin's certificate (Node's https speaks HTTP/1.1 only). */
function rawClient(kubeconfig: string) {
  const { server, agent } = kubeconfigAgent(kubeconfig);
  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) => new Promise<Answer>((resolve, reject) => {
    const req = https.request(server + path, { method, agent, headers: { "content-type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString("utf8");
        resolve({ code: res.statusCode ?? 0, headers: res.headers, raw, text, json: () => JSON.parse(text) as Status });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
  return { send, close: () => agent.destroy() };
}

const cms = "/api/v1/namespaces/default/configmaps";

describe("the API's long tail", () => {
  let server: RunningServer;
  let http: ReturnType<typeof rawClient>;
  let kubectl: ReturnType<typeof kubectlFor>;
  before(async () => {
    server = await startServer({ simNodes: 1 });
    http = rawClient(server.kubeconfig);
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    http.close();
    await server[Symbol.asyncDispose]();
  });

  it("sends a warning with non-Latin-1 text as its UTF-8 bytes, quotes escaped, over HTTP/1.1", async () => {
    const body = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "warned" }, "dätä€": 1, 'q"b': 2 });
    const created = await http.send("POST", cms, body);
    assert.equal(created.code, 201, created.text);
    const header = String(created.headers["warning"]);
    // Node hands a header back one character a byte: read it as the UTF-8 it is.
    const decoded = Buffer.from(header, "latin1").toString("utf8");
    assert.match(decoded, /^299 - "unknown field \\"dätä€\\""/);
    assert.match(decoded, /299 - "unknown field \\"q\\"b\\""/);
    // kubectl (Go) prints it as it was meant.
    const applied = await kubectl.run(["create", "--validate=warn", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "warned2" }, "ünïcödé": 1 }) });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stderr, /Warning: unknown field "ünïcödé"/);
  });

  it("refuses list parameters that do not decode with 400 and bad combinations with 422", async () => {
    const huge = await http.send("GET", `${cms}?limit=99999999999999999999`);
    assert.equal(huge.code, 400, huge.text);
    assert.equal(huge.json().message, 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
    const word = await http.send("GET", `${cms}?limit=ten`);
    assert.equal(word.code, 400);
    assert.equal(word.json().message, 'strconv.ParseInt: parsing "ten": invalid syntax');
    const timeout = await http.send("GET", `${cms}?watch=1&timeoutSeconds=1e3`);
    assert.equal(timeout.code, 400);

    const bogus = await http.send("GET", `${cms}?resourceVersion=bogus`);
    assert.equal(bogus.code, 400, bogus.text);
    assert.equal(bogus.json().reason, "BadRequest");
    assert.match(bogus.json().message!, /^invalid resource version: resourceVersion: Invalid value: "bogus"/);

    const exact = await http.send("GET", `${cms}?resourceVersionMatch=Exact`);
    assert.equal(exact.code, 422, exact.text);
    assert.equal(exact.json().message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    assert.equal(exact.json().details?.causes?.[0]?.field, "resourceVersionMatch");
    const unknown = await http.send("GET", `${cms}?resourceVersion=1&resourceVersionMatch=Newest`);
    assert.equal(unknown.code, 422);
    const onWatch = await http.send("GET", `${cms}?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan`);
    assert.equal(onWatch.code, 422);
    assert.match(onWatch.json().message!, /resourceVersionMatch is forbidden for watch/);

    // Zero and negative limits list everything, as upstream.
    const all = await http.send("GET", `${cms}?limit=-1`);
    assert.equal(all.code, 200, all.text);
  });

  it("ends a watch whose timeoutSeconds has passed at once, and gives a zero timeout the server's own", async () => {
    const ended = await http.send("GET", `${cms}?watch=true&timeoutSeconds=-1&resourceVersion=1`);
    assert.equal(ended.code, 200);
    // A zero timeout is no timeout of the client's: the watch is still open after the old one-second floor.
    const open = await new Promise<boolean>((resolve, reject) => {
      const kc = parseYaml(readFileSync(server.kubeconfig, "utf8"));
      const user = kc.users[0].user;
      const req = https.get(`${kc.clusters[0].cluster.server}${cms}?watch=true&timeoutSeconds=0&resourceVersion=1`, {
        ca: Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64"),
        cert: Buffer.from(user["client-certificate-data"], "base64"), key: Buffer.from(user["client-key-data"], "base64"),
      }, (res) => {
        const timer = setTimeout(() => { resolve(true); req.destroy(); }, 2500);
        res.on("end", () => { clearTimeout(timer); resolve(false); });
        res.resume();
      });
      req.on("error", (err) => { if (!req.destroyed) reject(err); });
    });
    assert.equal(open, true);
  });

  it("answers a list not older than a future resourceVersion with 504 after waiting, and a reachable one with fresh data", async () => {
    const list = await http.send("GET", cms);
    const current = Number((JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    const future = current + 1_000_000;
    const started = Date.now();
    const answer = await http.send("GET", `${cms}?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`);
    const waited = Date.now() - started;
    assert.equal(answer.code, 504, answer.text);
    const status = answer.json();
    assert.equal(status.reason, "Timeout");
    assert.match(status.message!, new RegExp(`^Timeout: Too large resource version: ${future}, current: \\d+$`));
    assert.equal(status.details?.retryAfterSeconds, 1);
    assert.deepEqual(status.details?.causes, [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }]);
    // Upstream's watch cache waits its 3 s for the revision before giving up.
    assert.ok(waited >= 2900, `answered after ${waited} ms`);
    // The legacy form (a resourceVersion without a match) means the same.
    const legacy = await http.send("GET", `${cms}?resourceVersion=${future}`);
    assert.equal(legacy.code, 504);

    // A revision the store reaches while the list waits is answered with data at least that new.
    const pending = http.send("GET", `${cms}?resourceVersion=${current + 1}&resourceVersionMatch=NotOlderThan`);
    await http.send("POST", cms, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fresh" } }));
    const fresh = await pending;
    assert.equal(fresh.code, 200, fresh.text);
    assert.ok(Number((JSON.parse(fresh.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion) >= current + 1);

    const exact = await http.send("GET", `${cms}?resourceVersion=${future}&resourceVersionMatch=Exact`);
    assert.equal(exact.code, 504, exact.text);
    assert.equal(exact.json().details?.causes?.[0]?.reason, "ResourceVersionTooLarge");
  });

  it("refuses a body whose apiVersion is not the URL's group-version", async () => {
    const other = await http.send("POST", cms, JSON.stringify({ apiVersion: "apps/v1", kind: "ConfigMap", metadata: { name: "x1" } }));
    assert.equal(other.code, 400, other.text);
    assert.equal(other.json().message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
    const v9 = await http.send("POST", cms, JSON.stringify({ apiVersion: "v9", kind: "ConfigMap", metadata: { name: "x2" } }));
    assert.equal(v9.code, 400);
    assert.match(v9.json().message!, /no kind "ConfigMap" is registered for version "v9"/);
    // A kind served at another version decodes, then is refused for its version.
    const hpa = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata: { name: "h" }, spec: { maxReplicas: 2, scaleTargetRef: { kind: "Deployment", name: "d", apiVersion: "apps/v1" } } };
    const mismatched = await http.send("POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", JSON.stringify(hpa));
    assert.equal(mismatched.code, 400, mismatched.text);
    assert.equal(mismatched.json().message, "the API version in the data (autoscaling/v1) does not match the expected API version (autoscaling/v2)");
    const stored = await http.send("GET", `${cms}/x1`);
    assert.equal(stored.code, 404);
    // The right version, or none (the URL's is the default), is accepted.
    assert.equal((await http.send("POST", cms, JSON.stringify({ kind: "ConfigMap", metadata: { name: "x3" } }))).code, 201);
  });

  it("routes subresources and methods as upstream's router does", async () => {
    assert.equal((await http.send("POST", cms, JSON.stringify({ metadata: { name: "routed" } }))).code, 201);
    const unknownSub = await http.send("GET", `${cms}/routed/frobnicate`);
    assert.equal(unknownSub.code, 404, unknownSub.text);
    assert.equal(unknownSub.json().message, "the server could not find the requested resource");
    const noStatus = await http.send("GET", `${cms}/routed/status`);
    assert.equal(noStatus.code, 404);
    assert.equal(noStatus.json().message, "the server could not find the requested resource");

    const version = await http.send("DELETE", "/version");
    assert.equal(version.code, 405);
    assert.equal(version.json().reason, "MethodNotAllowed");
    assert.equal(version.json().message, "the server does not allow this method on the requested resource");

    const pods = "/api/v1/namespaces/default/pods";
    const pending = { apiVersion: "v1", kind: "Pod", metadata: { name: "pending" }, spec: { containers: [{ name: "c", image: "nginx" }], schedulerName: "nobody" } };
    assert.equal((await http.send("POST", pods, JSON.stringify(pending))).code, 201);
    for (const method of ["POST", "PATCH", "PUT", "DELETE"]) {
      const log = await http.send(method, `${pods}/pending/log`, method === "DELETE" ? undefined : "{}", { "content-type": "application/merge-patch+json" });
      assert.equal(log.code, 405, `${method} pods/log: ${log.text}`);
      assert.equal(log.json().message, "the server does not allow this method on the requested resource");
    }
    const unscheduled = await http.send("POST", `${pods}/pending/exec?command=ls&stdout=1`);
    assert.equal(unscheduled.code, 400);
    assert.equal(unscheduled.json().message, "pod pending does not have a host assigned");

    await kubectl.ok(["run", "scheduled", "--image=nginx"]);
    await kubectl.ok(["wait", "--for=jsonpath={.spec.nodeName}", "pod/scheduled", "--timeout=60s"]);
    for (const [method, sub] of [["POST", "exec?command=ls&stdout=1"], ["GET", "exec?command=ls&stdout=1"], ["POST", "attach?stdout=1"], ["POST", "portforward?ports=80"]] as const) {
      const plain = await http.send(method, `${pods}/scheduled/${sub}`);
      assert.equal(plain.code, 400, `${method} ${sub}: ${plain.text}`);
      assert.equal(plain.json().message, "Upgrade request required");
    }
  });

  it("gives metadata.generation only to the kinds upstream's strategies give one", async () => {
    type Meta = { metadata: { generation?: number } };
    const read = (a: Answer) => JSON.parse(a.text) as Meta;
    const cm = await http.send("POST", cms, JSON.stringify({ metadata: { name: "no-generation" }, data: { a: "1" } }));
    assert.equal(cm.code, 201);
    assert.equal(read(cm).metadata.generation, undefined);
    const updated = await http.send("PUT", `${cms}/no-generation`, JSON.stringify({ metadata: { name: "no-generation" }, data: { a: "2" } }));
    assert.equal(read(updated).metadata.generation, undefined);
    const svc = await http.send("POST", "/api/v1/namespaces/default/services", JSON.stringify({ metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } }));
    assert.equal(svc.code, 201, svc.text);
    assert.equal(read(svc).metadata.generation, undefined);
    const patched = await http.send("PATCH", "/api/v1/namespaces/default/services/s", JSON.stringify({ spec: { ports: [{ port: 81 }] } }), { "content-type": "application/merge-patch+json" });
    assert.equal(patched.code, 200, patched.text);
    assert.equal(read(patched).metadata.generation, undefined, "a Service's spec change gives it no generation");

    const np = await http.send("POST", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", JSON.stringify({ metadata: { name: "np" }, spec: { podSelector: {} } }));
    assert.equal(np.code, 201, np.text);
    assert.equal(read(np).metadata.generation, 1);
    const slice = { metadata: { name: "sl" }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"] }], ports: [{ port: 80 }] };
    const created = await http.send("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", JSON.stringify(slice));
    assert.equal(read(created).metadata.generation, 1);
    const moved = await http.send("PUT", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/sl", JSON.stringify({ ...slice, endpoints: [{ addresses: ["10.0.0.2"] }] }));
    assert.equal(read(moved).metadata.generation, 2, "an EndpointSlice's new endpoints are a new generation");
  });

  it("serves the deprecated componentstatuses as kubectl shows them", async () => {
    const got = await kubectl.run(["get", "componentstatuses"]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stderr, /Warning: v1 ComponentStatus is deprecated in v1\.19\+/);
    const rows = got.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ["NAME", "STATUS", "MESSAGE", "ERROR"]);
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 3)).sort(), [["controller-manager", "Healthy", "ok"], ["etcd-0", "Healthy", "ok"], ["scheduler", "Healthy", "ok"]]);
    const one = JSON.parse(await kubectl.ok(["get", "cs", "etcd-0", "-o", "json"])) as { kind: string; conditions: { type: string; status: string }[] };
    assert.equal(one.kind, "ComponentStatus");
    assert.deepEqual(one.conditions.map((c) => [c.type, c.status]), [["Healthy", "True"]]);
    const missing = await http.send("GET", "/api/v1/componentstatuses/nope");
    assert.equal(missing.code, 404);
    assert.equal((await http.send("DELETE", "/api/v1/componentstatuses/etcd-0")).code, 405);
  });

  it("applies a CRD's defaults to custom resources on write and when reading them from storage", async () => {
    const crd = (withDefault: boolean) => ({
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [{
          name: "v1", served: true, storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: {
            size: { type: "integer" },
            color: withDefault ? { type: "string", default: "blue" } : { type: "string" },
            ports: { type: "array", items: { type: "object", properties: { protocol: withDefault ? { type: "string", default: "TCP" } : { type: "string" }, port: { type: "integer" } } } },
          } } } } },
        }],
      },
    });
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(crd(false)) });
    await kubectl.ok(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s"]);
    const widget = (name: string) => JSON.stringify({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name }, spec: { size: 1, ports: [{ port: 80 }] } });
    await kubectl.ok(["create", "-f", "-"], { input: widget("before") });
    type Widget = { metadata: { resourceVersion: string }; spec: { color?: string; ports: { protocol?: string }[] } };
    const before = JSON.parse(await kubectl.ok(["get", "widget", "before", "-o", "json"])) as Widget;
    assert.equal(before.spec.color, undefined);

    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(crd(true)) });
    // Read again, never written since: the new defaults show, the object is unchanged in storage.
    const path = "/apis/example.com/v1/namespaces/default/widgets";
    let read: Widget | undefined;
    for (let i = 0; i < 50; i++) {
      read = JSON.parse((await http.send("GET", `${path}/before`)).text) as Widget;
      if (read.spec.color) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(read?.spec.color, "blue");
    assert.equal(read?.spec.ports[0]?.protocol, "TCP");
    assert.equal(read?.metadata.resourceVersion, before.metadata.resourceVersion, "defaulting on read writes nothing");
    const listed = JSON.parse((await http.send("GET", path)).text) as { items: Widget[] };
    assert.equal(listed.items[0]?.spec.color, "blue");

    const created = JSON.parse((await http.send("POST", path, widget("after"))).text) as Widget;
    assert.equal(created.spec.color, "blue");
    assert.equal(created.spec.ports[0]?.protocol, "TCP");
  });

  it("keeps an object's uid and deletion marks from clients' updates, as upstream's ValidateObjectMetaUpdate, for every resource", async () => {
    type Obj = { metadata: { uid: string; resourceVersion: string; creationTimestamp: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number }; data?: Record<string, string>; spec?: Record<string, unknown> };
    const created = JSON.parse((await http.send("POST", cms, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fixed-uid" }, data: { a: "1" } }))).text) as Obj;
    const put = (obj: Obj, meta: Record<string, unknown>, path = `${cms}/fixed-uid`) => http.send("PUT", path, JSON.stringify({ ...obj, data: { a: "2" }, metadata: { ...obj.metadata, ...meta } }));

    const other = "0b7d6f6e-0000-4000-8000-000000000000";
    const refused = await put(created, { uid: other });
    assert.equal(refused.code, 422);
    assert.equal(refused.json().message, `ConfigMap "fixed-uid" is invalid: metadata.uid: Invalid value: "${other}": field is immutable`);
    assert.deepEqual(refused.json().details?.causes, [{ reason: "FieldValueInvalid", message: `Invalid value: "${other}": field is immutable`, field: "metadata.uid" }]);
    const marked = await put(created, { deletionTimestamp: "2030-01-02T03:04:05Z", deletionGracePeriodSeconds: 30 });
    assert.equal(marked.code, 422);
    assert.equal(marked.json().message, 'ConfigMap "fixed-uid" is invalid: [metadata.deletionTimestamp: Invalid value: 2030-01-02 03:04:05 +0000 UTC: field is immutable, metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable]');
    const stored = JSON.parse((await http.send("GET", `${cms}/fixed-uid`)).text) as Obj;
    assert.deepEqual([stored.metadata.uid, stored.metadata.resourceVersion, stored.data], [created.metadata.uid, created.metadata.resourceVersion, { a: "1" }]);
    assert.equal(stored.metadata.deletionTimestamp, undefined);

    // Left out, the uid is the stored one; a creationTimestamp of the client's is ignored, as upstream.
    const { uid: _uid, ...withoutUid } = created.metadata;
    const kept = await http.send("PUT", `${cms}/fixed-uid`, JSON.stringify({ ...created, data: { a: "3" }, metadata: { ...withoutUid, creationTimestamp: "2001-01-01T00:00:00Z" } }));
    assert.equal(kept.code, 200, kept.text);
    const after = JSON.parse(kept.text) as Obj;
    assert.deepEqual([after.metadata.uid, after.metadata.creationTimestamp, after.data], [created.metadata.uid, created.metadata.creationTimestamp, { a: "3" }]);

    // A custom resource is held to the same rule.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "gadgets.example.com" },
      spec: { group: "example.com", scope: "Cluster", names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }] },
    }) });
    await kubectl.ok(["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=30s"]);
    const gadgets = "/apis/example.com/v1/gadgets";
    const gadget = JSON.parse((await http.send("POST", gadgets, JSON.stringify({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" }, spec: { n: 1 } }))).text) as Obj;
    const refusedCr = await http.send("PUT", `${gadgets}/g`, JSON.stringify({ ...gadget, spec: { n: 2 }, metadata: { ...gadget.metadata, uid: other } }));
    assert.equal(refusedCr.code, 422);
    assert.equal(refusedCr.json().message, `Gadget.example.com "g" is invalid: metadata.uid: Invalid value: "${other}": field is immutable`);
    const storedCr = JSON.parse((await http.send("GET", `${gadgets}/g`)).text) as Obj;
    assert.deepEqual([storedCr.metadata.uid, storedCr.spec], [gadget.metadata.uid, { n: 1 }]);
  });
});
