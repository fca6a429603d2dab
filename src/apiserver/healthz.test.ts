import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HealthChecks, PostStartHook } from "./healthz.js";
import type { Response } from "./http.js";

/** Captures what a handler writes, as a test of this one piece. */
function recorder() {
  const out = { code: 0, body: "" };
  const res = {
    writeHead(code: number) { out.code = code; return res; },
    end(body?: string) { out.body = body ?? ""; return res; },
  };
  return { out, res: res as unknown as Response };
}

async function get(checks: HealthChecks, path: string, query = "", method = "GET") {
  const { out, res } = recorder();
  await checks.serve(method, path, new URLSearchParams(query), res);
  return out;
}

describe("health checks", () => {
  it("answer ok when every check passes, and list them with ?verbose", async () => {
    const checks = new HealthChecks([{ name: "etcd", check() {} }]);
    assert.deepEqual(await get(checks, "/readyz"), { code: 200, body: "ok" });
    assert.deepEqual(await get(checks, "/livez", "verbose"), { code: 200, body: "[+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n" });
    assert.deepEqual(await get(checks, "/readyz/etcd"), { code: 200, body: "ok" });
    assert.equal((await get(checks, "/readyz/nothing")).code, 404);
    assert.equal((await get(checks, "/readyz", "", "DELETE")).code, 405);
  });

  it("fail with 500 until a post-start hook is done, naming the failing check", async () => {
    const hook = new PostStartHook("rbac/bootstrap-roles");
    const checks = new HealthChecks([hook]);
    const before = await get(checks, "/readyz");
    assert.equal(before.code, 500);
    assert.match(before.body, /\[-\]poststarthook\/rbac\/bootstrap-roles failed: reason withheld\n/);
    assert.match(before.body, /readyz check failed\n$/);
    assert.equal((await get(checks, "/readyz/poststarthook/rbac/bootstrap-roles")).body, "internal server error: not finished");
    assert.equal((await get(checks, "/readyz", "exclude=poststarthook/rbac/bootstrap-roles")).code, 200);
    hook.complete();
    assert.equal((await get(checks, "/readyz")).code, 200);
  });

  it("fail when storage does not answer, and readiness alone fails once shutdown begins", async () => {
    let up = false;
    const checks = new HealthChecks([{ name: "etcd", check: () => { if (!up) throw new Error("connection refused"); } }]);
    assert.equal((await get(checks, "/healthz")).code, 500);
    up = true;
    checks.beginShutdown();
    assert.equal((await get(checks, "/livez")).code, 200);
    const ready = await get(checks, "/readyz", "verbose");
    assert.equal(ready.code, 500);
    assert.match(ready.body, /\[-\]shutdown failed/);
  });

  it("warns about exclusions that match nothing", async () => {
    const checks = new HealthChecks([]);
    const r = await get(checks, "/healthz", "exclude=nope&verbose");
    assert.equal(r.code, 200);
    assert.match(r.body, /warn: some health checks cannot be excluded: no matches for "nope"/);
  });
});
