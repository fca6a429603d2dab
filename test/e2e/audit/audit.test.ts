/**
 * The audit log as a cluster admin meets it: `skiff server --audit-policy-file
 * --audit-log-path` and the real kubectl; every line is an audit.k8s.io/v1
 * Event at the level its rule says.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import type { Event } from "../../../src/apiserver/audit/index.js";

const scratch = mkdtempSync(join(tmpdir(), "skiff-e2e-audit-"));
const logPath = join(scratch, "audit.log");

describe("audit log", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  before(async () => {
    server = await startServer({ args: ["--disable-controllers", "--audit-policy-file", join(repoRoot, "test/e2e/audit/policy.yaml"), "--audit-log-path", logPath] });
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    await server[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  const events = (): Event[] => (existsSync(logPath) ? readFileSync(logPath, "utf8").trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Event) : []);
  const find = async (pred: (e: Event) => boolean): Promise<Event> => (await eventually(() => events().find(pred), 10_000))!;

  it("logs a config map's create at RequestResponse, in upstream's shape", async () => {
    await kubectl.ok(["create", "configmap", "audited", "--from-literal=colour=blue"]);
    const ev = await find((e) => e.verb === "create" && e.objectRef?.resource === "configmaps" && e.stage === "ResponseComplete");
    assert.equal(statSync(logPath).mode & 0o777, 0o600);
    assert.equal(ev.apiVersion, "audit.k8s.io/v1");
    assert.equal(ev.kind, "Event");
    assert.equal(ev.level, "RequestResponse");
    assert.match(ev.auditID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(ev.requestURI.split("?")[0], "/api/v1/namespaces/default/configmaps");
    assert.equal(ev.user.username, "admin");
    assert.ok(ev.user.groups?.includes("system:masters"));
    assert.deepEqual(ev.sourceIPs, ["127.0.0.1"]);
    assert.match(ev.userAgent ?? "", /^kubectl\//);
    assert.deepEqual(ev.objectRef, { resource: "configmaps", namespace: "default", name: "audited", apiVersion: "v1" }, "the name from the request object");
    assert.equal(ev.responseStatus?.code, 201);
    const obj = ev.responseObject as { data: Record<string, string>; metadata: { managedFields?: unknown } };
    assert.deepEqual(obj.data, { colour: "blue" });
    assert.deepEqual((ev.requestObject as { data: unknown }).data, { colour: "blue" }, "kubectl's protobuf body, decoded");
    assert.equal(obj.metadata.managedFields, undefined, "omitManagedFields");
    assert.match(ev.requestReceivedTimestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    assert.ok(ev.stageTimestamp >= ev.requestReceivedTimestamp);
  });

  it("logs a patch as the request object", async () => {
    await kubectl.ok(["patch", "configmap", "audited", "-p", '{"data":{"colour":"red"}}']);
    const ev = await find((e) => e.verb === "patch" && e.objectRef?.name === "audited" && e.stage === "ResponseComplete");
    assert.deepEqual(ev.requestObject, { data: { colour: "red" } });
    assert.deepEqual((ev.responseObject as { data: unknown }).data, { colour: "red" });
  });

  it("logs secrets by metadata only: the value never reaches the log", async () => {
    const password = randomBytes(18).toString("hex");
    await kubectl.ok(["create", "secret", "generic", "s", `--from-literal=password=${password}`]);
    await kubectl.ok(["get", "secret", "s", "-o", "json"]);
    const get = await find((e) => e.verb === "get" && e.objectRef?.resource === "secrets" && e.objectRef.name === "s");
    assert.equal(get.level, "Metadata");
    assert.deepEqual(get.responseStatus, { metadata: {}, code: 200 });
    assert.equal(get.responseObject, undefined);
    assert.equal(get.requestObject, undefined);
    const log = readFileSync(logPath, "utf8");
    assert.ok(!log.includes(password) && !log.includes(Buffer.from(password).toString("base64")));
  });

  it("a failure's status: reason, message and code", async () => {
    const r = await kubectl.run(["get", "secret", "missing"]);
    assert.notEqual(r.code, 0);
    const ev = await find((e) => e.objectRef?.name === "missing");
    const { details, ...status } = ev.responseStatus!;
    assert.deepEqual(status, { metadata: {}, status: "Failure", message: 'secrets "missing" not found', reason: "NotFound", code: 404 });
    assert.deepEqual({ ...(details as object), group: undefined }, { name: "missing", kind: "secrets", group: undefined });
  });

  it("a watch: ResponseStarted, then ResponseComplete when it ends; RequestReceived is omitted by the policy", async () => {
    await kubectl.run(["get", "configmaps", "--watch", "--request-timeout=2s"]);
    const complete = await find((e) => e.verb === "watch" && e.stage === "ResponseComplete");
    const started = events().find((e) => e.auditID === complete.auditID && e.stage === "ResponseStarted");
    assert.ok(started, "ResponseStarted of the same request");
    assert.equal(started.responseStatus?.code, 200);
    assert.ok(complete.stageTimestamp > started.stageTimestamp);
    assert.ok(!events().some((e) => e.stage === "RequestReceived"));
    assert.ok(!events().some((e) => e.requestURI.startsWith("/apis?") || e.requestURI === "/api" || e.requestURI.startsWith("/openapi/")), "discovery is level None");
  });

  it("counts events and levels in upstream's audit metrics", async () => {
    const written = events().length;
    const metrics = await kubectl.ok(["get", "--raw", "/metrics"]);
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(metrics)?.[1]);
    // Every event the log holds was counted when it was sent, and nothing else (RequestReceived is omitted).
    assert.equal(value("apiserver_audit_event_total"), written);
    for (const level of ["None", "Metadata", "RequestResponse"]) assert.ok(value(`apiserver_audit_level_total{level="${level}"}`) > 0, level);
    assert.match(metrics, /^# TYPE apiserver_audit_error_total counter$/m);
  });
});
