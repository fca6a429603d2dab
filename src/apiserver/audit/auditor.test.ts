import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Auditor, auditContextOf, microNow, sourceIPs, type AuditRequest } from "./auditor.js";
import type { AuditAttributes } from "./policy.js";
import type { Event, Policy, PolicyRule } from "./types.js";

const admin = { username: "admin", groups: ["system:masters", "system:authenticated"] };

function newAuditor(rules: PolicyRule[], extra: Partial<Policy> = {}) {
  const events: Event[] = [];
  let tick = 0;
  const auditor = new Auditor({
    policy: { apiVersion: "audit.k8s.io/v1", kind: "Policy", rules, ...extra },
    backend: { processEvent: (e) => events.push(structuredClone(e)) },
    now: () => `2026-12-02T01:00:0${tick++}.000001Z`,
    newID: () => "4f8c2c56-1a4e-4e0b-9a53-0f6bd1d6a2f1",
  });
  return { auditor, events };
}

function resourceRequest(over: Partial<AuditAttributes> = {}, extra: Partial<AuditRequest> = {}): AuditRequest {
  return {
    attributes: { user: admin, verb: "get", resourceRequest: true, path: "/api/v1/namespaces/default/secrets/s", apiGroup: "", apiVersion: "v1", resource: "secrets", subresource: "", namespace: "default", name: "s", ...over },
    requestURI: "/api/v1/namespaces/default/secrets/s", sourceIPs: ["127.0.0.1"], userAgent: "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9", ...extra,
  };
}

const secret = {
  apiVersion: "v1", kind: "Secret", data: { password: "aHVudGVyMg==" },
  metadata: { name: "s", namespace: "default", uid: "u-1", resourceVersion: "42", managedFields: [{ manager: "kubectl", operation: "Update" }] },
};

describe("Auditor: events", () => {
  it("at Metadata: RequestReceived then ResponseComplete, upstream's fields in upstream's order, no objects", () => {
    const { auditor, events } = newAuditor([{ level: "Metadata" }]);
    const ctx = auditor.begin(resourceRequest());
    ctx.annotate("authorization.k8s.io/decision", "allow");
    ctx.annotate("authorization.k8s.io/reason", "");
    ctx.setRequestObject(secret);
    ctx.complete(200, secret);
    assert.deepEqual(events.map((e) => e.stage), ["RequestReceived", "ResponseComplete"]);
    assert.equal(JSON.stringify(events[1]), JSON.stringify({
      kind: "Event", apiVersion: "audit.k8s.io/v1", level: "Metadata", auditID: "4f8c2c56-1a4e-4e0b-9a53-0f6bd1d6a2f1", stage: "ResponseComplete",
      requestURI: "/api/v1/namespaces/default/secrets/s", verb: "get", user: { username: "admin", groups: ["system:masters", "system:authenticated"] },
      sourceIPs: ["127.0.0.1"], userAgent: "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9",
      objectRef: { resource: "secrets", namespace: "default", name: "s", uid: "u-1", apiVersion: "v1", resourceVersion: "42" },
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: "2026-12-02T01:00:00.000001Z", stageTimestamp: "2026-12-02T01:00:01.000001Z",
      annotations: { "authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "" },
    }));
    assert.equal(events[0]!.stageTimestamp, events[0]!.requestReceivedTimestamp, "RequestReceived's stage time is the receipt");
    assert.equal(events[0]!.responseStatus, undefined);
  });

  it("at Request: the request object (a Secret too: the policy's choice), no response object", () => {
    const { auditor, events } = newAuditor([{ level: "Request" }]);
    const ctx = auditor.begin(resourceRequest({ verb: "create", name: "" }, { requestURI: "/api/v1/namespaces/default/secrets" }));
    ctx.setRequestObject(secret);
    ctx.complete(201, secret);
    const done = events.at(-1)!;
    assert.deepEqual(done.requestObject, secret);
    assert.equal(done.responseObject, undefined);
    assert.equal(done.objectRef?.name, "s", "create: the name comes from the object");
  });

  it("at RequestResponse: both objects; omitManagedFields drops managedFields from objects, lists and tables", () => {
    const { auditor, events } = newAuditor([{ level: "RequestResponse", omitManagedFields: true }]);
    const ctx = auditor.begin(resourceRequest({ verb: "update" }));
    ctx.setRequestObject(secret);
    const list = { kind: "SecretList", apiVersion: "v1", metadata: {}, items: [secret] };
    ctx.complete(200, list);
    const done = events.at(-1)!;
    assert.equal((done.requestObject as typeof secret).metadata.managedFields, undefined);
    assert.equal((done.responseObject as typeof list).items[0]!.metadata.managedFields, undefined);
    assert.ok(secret.metadata.managedFields, "the caller's object is left as it was");
    const table = newAuditor([{ level: "RequestResponse" }], { omitManagedFields: true });
    const t = table.auditor.begin(resourceRequest({ verb: "list" }));
    t.complete(200, { kind: "Table", rows: [{ cells: ["s"], object: secret }] });
    assert.equal((table.events.at(-1)!.responseObject as { rows: { object: typeof secret }[] }).rows[0]!.object.metadata.managedFields, undefined);
  });

  it("a failure's Status fills responseStatus at Metadata, without a response object", () => {
    const { auditor, events } = newAuditor([{ level: "Metadata" }]);
    const ctx = auditor.begin(resourceRequest());
    ctx.annotate("authorization.k8s.io/decision", "forbid");
    ctx.complete(403, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'secrets "s" is forbidden: User "bob" cannot get resource "secrets"', reason: "Forbidden", details: { name: "s", kind: "secrets" }, code: 403 });
    const done = events.at(-1)!;
    assert.deepEqual(done.responseStatus, { metadata: {}, status: "Failure", message: 'secrets "s" is forbidden: User "bob" cannot get resource "secrets"', reason: "Forbidden", details: { name: "s", kind: "secrets" }, code: 403 });
    assert.equal(done.responseObject, undefined);
    assert.equal(done.annotations?.["authorization.k8s.io/decision"], "forbid");
  });

  it("a watch: ResponseStarted when headers go out, ResponseComplete when it ends; omitted stages are not sent", () => {
    const { auditor, events } = newAuditor([{ level: "Metadata", omitStages: ["RequestReceived"] }]);
    const ctx = auditor.begin(resourceRequest({ verb: "watch", name: "" }, { longRunning: true, requestURI: "/api/v1/secrets?watch=true" }));
    ctx.responseStarted(200);
    ctx.responseStarted(200);
    assert.deepEqual(events.map((e) => e.stage), ["ResponseStarted"]);
    ctx.complete(200);
    ctx.complete(200);
    assert.deepEqual(events.map((e) => [e.stage, e.responseStatus?.code]), [["ResponseStarted", 200], ["ResponseComplete", 200]]);
    // A short request never sends ResponseStarted.
    const short = newAuditor([{ level: "Metadata" }]);
    const c = short.auditor.begin(resourceRequest());
    c.responseStarted(200);
    c.complete(200);
    assert.deepEqual(short.events.map((e) => e.stage), ["RequestReceived", "ResponseComplete"]);
  });

  it("a watch closed before anything was written: upstream's faked success", () => {
    const { auditor, events } = newAuditor([{ level: "Metadata" }]);
    auditor.begin(resourceRequest({ verb: "watch" }, { longRunning: true })).complete(0);
    assert.deepEqual(events.map((e) => [e.stage, e.responseStatus]), [
      ["RequestReceived", undefined],
      ["ResponseStarted", { metadata: {}, status: "Success", message: "Connection closed early", code: 200 }],
      ["ResponseComplete", { metadata: {}, status: "Success", message: "Connection closed early", code: 200 }],
    ]);
  });

  it("level None sends nothing; a client's Audit-ID is kept", () => {
    const { auditor, events } = newAuditor([{ level: "None" }]);
    const ctx = auditor.begin(resourceRequest({}, { auditID: "from-client" }));
    ctx.annotate("a", "b");
    ctx.complete(200, secret);
    assert.equal(ctx.level, "None");
    assert.equal(ctx.auditID, "from-client");
    assert.deepEqual(events, []);
  });

  it("records the impersonated user, a panic, a truncated user agent, and a non-resource request without objectRef", () => {
    const { auditor, events } = newAuditor([{ level: "Metadata" }]);
    const ctx = auditor.begin(resourceRequest({}, { userAgent: "x".repeat(1100) }));
    ctx.impersonated({ username: "system:serviceaccount:default:builder", groups: ["system:serviceaccounts"], extra: { "authentication.kubernetes.io/pod-name": ["p"] } });
    ctx.panic(new Error("boom"));
    ctx.complete(200);
    const last = events.at(-1)!;
    assert.equal(last.stage, "Panic");
    assert.deepEqual(last.responseStatus, { metadata: {}, status: "Failure", message: "APIServer panic'd: boom", reason: "InternalError", code: 500 });
    assert.deepEqual(last.impersonatedUser, { username: "system:serviceaccount:default:builder", groups: ["system:serviceaccounts"], extra: { "authentication.kubernetes.io/pod-name": ["p"] } });
    assert.equal(last.userAgent, "x".repeat(1024) + "...TRUNCATED");
    const healthz = newAuditor([{ level: "Metadata" }]);
    healthz.auditor.begin({ attributes: { user: undefined, verb: "get", resourceRequest: false, path: "/healthz", apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" }, requestURI: "/healthz", sourceIPs: ["::1"] }).complete(401);
    assert.deepEqual(healthz.events[1]!.user, {});
    assert.equal(healthz.events[1]!.objectRef, undefined);
    assert.equal(healthz.events[1]!.verb, "get");
  });

  it("a context is found from the request and response observe() was given, when audited", () => {
    const { auditor } = newAuditor([{ level: "None", verbs: ["list"] }, { level: "Metadata" }]);
    const fakeRes = () => ({ statusCode: 200, headers: {} as Record<string, string>, setHeader(n: string, v: string) { this.headers[n] = v; }, getHeader(n: string) { return this.headers[n]; }, writeHead() {}, write() {}, end() {}, once() {} });
    const [req, res] = [{}, fakeRes()];
    const ctx = auditor.begin(resourceRequest());
    ctx.observe(res, req);
    assert.equal(auditContextOf(req), ctx);
    assert.equal(auditContextOf(res), ctx);
    const [req2, res2] = [{}, fakeRes()];
    auditor.begin(resourceRequest({ verb: "list" })).observe(res2, req2);
    assert.equal(auditContextOf(req2), undefined);
    assert.equal(res2.headers["Audit-Id"], "4f8c2c56-1a4e-4e0b-9a53-0f6bd1d6a2f1");
  });

  it("a backend that fails RequestReceived fails the request; later failures are reported, not thrown", () => {
    const logged: string[] = [];
    let fail = true;
    const auditor = new Auditor({
      policy: { apiVersion: "audit.k8s.io/v1", kind: "Policy", rules: [{ level: "Metadata" }] },
      backend: { processEvent: () => { if (fail) throw new Error("disk full"); } },
      log: (msg, fields) => logged.push(`${msg} ${fields?.stage}`),
    });
    assert.throws(() => auditor.begin(resourceRequest()), /disk full/);
    fail = false;
    const ctx = auditor.begin(resourceRequest());
    fail = true;
    ctx.complete(200);
    assert.deepEqual(logged, ["audit event dropped ResponseComplete"]);
  });

  it("microNow is RFC 3339 with microseconds; sourceIPs as upstream's", () => {
    assert.match(microNow(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    assert.deepEqual(sourceIPs({}, "::ffff:127.0.0.1"), ["127.0.0.1"]);
    assert.deepEqual(sourceIPs({ "x-forwarded-for": "10.0.0.1, 10.0.0.2", "x-real-ip": "10.0.0.2" }, "127.0.0.1"), ["10.0.0.1", "10.0.0.2", "127.0.0.1"]);
  });
});

describe("Auditor: observe() on a real response", () => {
  const { auditor, events } = newAuditor([
    { level: "None", nonResourceURLs: ["/healthz"] },
    { level: "RequestResponse" },
  ]);
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      const watch = req.url!.includes("watch");
      const ctx = auditor.begin(resourceRequest({ verb: watch ? "watch" : "get", resourceRequest: !req.url!.startsWith("/healthz"), path: req.url! }, { requestURI: req.url!, longRunning: watch }));
      ctx.observe(res);
      if (req.url === "/healthz") { res.end("ok"); return; }
      if (watch) {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"type":"ADDED","object":{}}\n');
        setTimeout(() => res.end(), 20);
        return;
      }
      if (req.url!.includes("missing")) {
        res.statusCode = 404;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'secrets "missing" not found', reason: "NotFound", code: 404 }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      const body = JSON.stringify(secret);
      res.write(body.slice(0, 10));
      res.end(Buffer.from(body.slice(10)));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const settle = () => new Promise((r) => setTimeout(r, 50));

  it("echoes the Audit-Id header, even at level None", async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.headers.get("audit-id"), "4f8c2c56-1a4e-4e0b-9a53-0f6bd1d6a2f1");
    await settle();
    assert.equal(events.length, 0);
  });

  it("takes the code and the JSON body written in pieces", async () => {
    events.length = 0;
    await (await fetch(`${base}/api/v1/namespaces/default/secrets/s`)).text();
    await settle();
    assert.deepEqual(events.map((e) => e.stage), ["RequestReceived", "ResponseComplete"]);
    assert.deepEqual(events[1]!.responseObject, secret);
    assert.equal(events[1]!.responseStatus?.code, 200);
  });

  it("takes a Status set with statusCode and end()", async () => {
    events.length = 0;
    await (await fetch(`${base}/api/v1/namespaces/default/secrets/missing`)).text();
    await settle();
    assert.deepEqual(events[1]!.responseStatus, { metadata: {}, status: "Failure", message: 'secrets "missing" not found', reason: "NotFound", code: 404 });
  });

  it("a watch sends ResponseStarted with the headers, ResponseComplete at its end, and keeps no stream body", async () => {
    events.length = 0;
    await (await fetch(`${base}/api/v1/secrets?watch=true`)).text();
    await settle();
    assert.deepEqual(events.map((e) => [e.stage, e.responseStatus?.code]), [["RequestReceived", undefined], ["ResponseStarted", 200], ["ResponseComplete", 200]]);
    assert.equal(events[2]!.responseObject, undefined);
  });
});

it("Auditor: observe() on an http2 response keeps the body once (its end() writes through write())", async () => {
  const { auditor, events } = newAuditor([{ level: "RequestResponse" }]);
  const server = createHttp2Server((_req, res) => {
    auditor.begin(resourceRequest()).observe(res);
    const text = JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "gone", reason: "NotFound", code: 404 });
    res.writeHead(404, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise<void>((resolve) => {
    const req = client.request({ ":path": "/api/v1/namespaces/default/secrets/s" });
    req.on("data", () => {});
    req.on("end", resolve);
  });
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
  assert.deepEqual(events.at(-1)!.responseStatus, { metadata: {}, status: "Failure", message: "gone", reason: "NotFound", code: 404 });
  assert.equal((events.at(-1)!.responseObject as { message: string }).message, "gone");
});
