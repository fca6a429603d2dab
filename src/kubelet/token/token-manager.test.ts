import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import { TokenManager } from "./token-manager.js";
import { tokenRequestFor } from "./token-source.js";
import type { Pod } from "../types.js";

const HOUR = 3600_000;

/** A token manager over a fake API server that issues token-N for the asked lifetime, on a fake clock. */
function fixture(opts: { lifetimeSeconds?: number; fail?: () => Error | undefined } = {}) {
  let now = Date.parse("2026-12-01T00:00:00Z");
  let issued = 0;
  const asked: { ns: string; name: string; tr: TokenRequest }[] = [];
  const tokens = new TokenManager({
    now: () => now, random: () => 0,
    requestToken: async (ns, name, tr) => {
      asked.push({ ns, name, tr });
      const err = opts.fail?.();
      if (err) throw err;
      const seconds = opts.lifetimeSeconds ?? tr.spec.expirationSeconds ?? 3600;
      return { spec: { ...tr.spec, expirationSeconds: seconds }, status: { token: `token-${++issued}`, expirationTimestamp: new Date(now + seconds * 1000).toISOString() } };
    },
  });
  return { tokens, asked, advance: (ms: number) => { now += ms; } };
}

const pod: Pod = { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { serviceAccountName: "builder", containers: [] } };
const request = (source: Record<string, unknown> = {}) => tokenRequestFor(pod, { path: "token", ...source });

describe("the kubelet's token manager", () => {
  it("asks for upstream's TokenRequest: the source's audience or none, 3600 s by default, bound to the pod", () => {
    assert.deepEqual(request().spec, { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "web", uid: "u1" } });
    assert.deepEqual(request({ audience: "vault", expirationSeconds: 600 }).spec.audiences, ["vault"]);
    assert.equal(request({ audience: "vault", expirationSeconds: 600 }).spec.expirationSeconds, 600);
  });

  const cases: { name: string; lifetimeSeconds?: number; after: number; refreshed: boolean }[] = [
    { name: "keeps a token before 80% of its lifetime", after: 0.79 * HOUR, refreshed: false },
    { name: "refreshes it after 80% of its lifetime", after: 0.81 * HOUR, refreshed: true },
    { name: "keeps a year-long token for a day", lifetimeSeconds: 365 * 24 * 3600, after: 23 * HOUR, refreshed: false },
    { name: "refreshes any token after 24 h", lifetimeSeconds: 365 * 24 * 3600, after: 24 * HOUR + 1000, refreshed: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const f = fixture({ lifetimeSeconds: c.lifetimeSeconds });
      assert.equal((await f.tokens.getServiceAccountToken("default", "builder", request())).status?.token, "token-1");
      f.advance(c.after);
      const again = await f.tokens.getServiceAccountToken("default", "builder", request());
      assert.equal(again.status?.token, c.refreshed ? "token-2" : "token-1");
      assert.equal(f.asked.length, c.refreshed ? 2 : 1);
    });
  }

  it("caches by what was asked: another audience is another token", async () => {
    const f = fixture();
    await f.tokens.getServiceAccountToken("default", "builder", request());
    const other = await f.tokens.getServiceAccountToken("default", "builder", request({ audience: "vault" }));
    assert.equal(other.status?.token, "token-2");
    assert.deepEqual(f.asked.map((a) => [a.ns, a.name]), [["default", "builder"], ["default", "builder"]]);
  });

  it("says 'failed to fetch token' when there is none yet, and keeps serving a cached one while a refresh fails", async () => {
    let failing = true;
    const f = fixture({ fail: () => (failing ? new Error("the server could not find the requested resource") : undefined) });
    await assert.rejects(f.tokens.getServiceAccountToken("default", "builder", request()), { message: "failed to fetch token: the server could not find the requested resource" });
    failing = false;
    assert.equal((await f.tokens.getServiceAccountToken("default", "builder", request())).status?.token, "token-1");
    failing = true;
    f.advance(0.9 * HOUR);
    assert.equal((await f.tokens.getServiceAccountToken("default", "builder", request())).status?.token, "token-1");
    f.advance(0.2 * HOUR);
    await assert.rejects(f.tokens.getServiceAccountToken("default", "builder", request()), /expired and refresh failed/);
  });

  it("forgets a pod's tokens when the pod goes, and expired tokens at cleanup", async () => {
    const f = fixture();
    await f.tokens.getServiceAccountToken("default", "builder", request());
    f.tokens.deleteServiceAccountToken("u1");
    assert.equal((await f.tokens.getServiceAccountToken("default", "builder", request())).status?.token, "token-2");
    f.advance(2 * HOUR);
    f.tokens.cleanup();
    f.advance(-2 * HOUR);
    assert.equal((await f.tokens.getServiceAccountToken("default", "builder", request())).status?.token, "token-3");
  });
});
