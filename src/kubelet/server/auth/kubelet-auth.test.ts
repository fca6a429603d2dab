import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import type { TokenReview } from "kubernetes-types/authentication/v1.js";
import type { SubjectAccessReview } from "kubernetes-types/authorization/v1.js";
import type { KubeObject, ResourceRef } from "../../../client/index.js";
import { KubeletAuth, requestPath } from "./kubelet-auth.js";

/** A request as the gate reads it: method, URL, headers and the TLS socket (here without a verified certificate). */
const request = (method: string, url: string, headers: Record<string, string> = {}) =>
  ({ method, url, headers: { ...headers }, socket: { authorized: false } }) as unknown as IncomingMessage;

/** An API server that knows one token (of `user`) and allows what `allow` says; it counts what it is asked. */
function fakeApi(allow: (review: SubjectAccessReview) => boolean, fail = { tokenReview: false, sar: false }) {
  const asked = { tokenReviews: 0, sars: [] as SubjectAccessReview[] };
  const client = {
    async create<T extends KubeObject>(r: ResourceRef, _ns: string | undefined, obj: KubeObject): Promise<T> {
      if (r.resource === "tokenreviews") {
        asked.tokenReviews++;
        if (fail.tokenReview) throw new Error("connection refused");
        const review = obj as TokenReview & KubeObject;
        const ok = review.spec.token === "good-token";
        return { ...review, status: ok ? { authenticated: true, user: { username: "system:serviceaccount:x:y", uid: "u1", groups: ["system:serviceaccounts", "system:authenticated"] } } : { authenticated: false } } as unknown as T;
      }
      const review = obj as SubjectAccessReview & KubeObject;
      asked.sars.push(review);
      if (fail.sar) throw new Error("connection refused");
      return { ...review, status: { allowed: allow(review) } } as unknown as T;
    },
  };
  return { client, asked };
}

describe("the kubelet API's gate", () => {
  it("answers 401 Unauthorized without credentials and with a token the API server refuses", async () => {
    const { client } = fakeApi(() => true);
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    assert.deepEqual(await auth.check(request("GET", "/pods")), { allowed: false, code: 401, message: "Unauthorized" });
    assert.deepEqual(await auth.check(request("GET", "/pods", { authorization: "Bearer bad-token" })), { allowed: false, code: 401, message: "Unauthorized" });
  });

  it("asks a SubjectAccessReview on the node for a reviewed token, and words a refusal as upstream", async () => {
    const { client, asked } = fakeApi((r) => r.spec.resourceAttributes?.subresource === "stats");
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    const ok = await auth.check(request("GET", "/stats/summary", { authorization: "Bearer good-token" }));
    assert.equal(ok.allowed, true);
    assert.deepEqual(asked.sars[0]!.spec, {
      user: "system:serviceaccount:x:y", uid: "u1", groups: ["system:serviceaccounts", "system:authenticated"], extra: undefined,
      resourceAttributes: { verb: "get", namespace: "", group: "", version: "v1", resource: "nodes", subresource: "stats", name: "n1" },
    });
    assert.deepEqual(await auth.check(request("POST", "/exec/default/web/web?command=sh", { authorization: "Bearer good-token" })),
      { allowed: false, code: 403, message: "Forbidden (user=system:serviceaccount:x:y, verb=create, resource=nodes, subresource=proxy)" });
  });

  it("authorizes the path the handlers route by: dot segments do not pass as stats", async () => {
    assert.equal(requestPath("/stats/../pods"), "/pods");
    assert.equal(requestPath("/stats/%2e%2e/pods?x=1"), "/pods");
    const { client } = fakeApi((r) => r.spec.resourceAttributes?.subresource === "stats");
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    const refused = await auth.check(request("GET", "/stats/%2E%2E/pods", { authorization: "Bearer good-token" }));
    assert.equal(refused.allowed ? 200 : refused.code, 403);
  });

  it("takes a token from the WebSocket subprotocol and removes it from the offer", async () => {
    const { client } = fakeApi(() => true);
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    const req = request("GET", "/exec/default/web/web", { "sec-websocket-protocol": `v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from("good-token").toString("base64url")}` });
    assert.equal((await auth.check(req)).allowed, true);
    assert.equal(req.headers["sec-websocket-protocol"], "v5.channel.k8s.io");
  });

  it("keeps token reviews 2 minutes, allowed decisions 5 minutes and refusals 30 seconds", async () => {
    let now = 1_000_000;
    let allowed = false;
    const { client, asked } = fakeApi(() => allowed);
    const auth = new KubeletAuth({ client, nodeName: "n1", now: () => now });
    const ask = () => auth.check(request("GET", "/pods", { authorization: "Bearer good-token" }));
    assert.equal((await ask()).allowed, false);
    allowed = true;
    now += 29_000;
    assert.equal((await ask()).allowed, false, "a refusal is kept 30 s");
    assert.equal(asked.tokenReviews, 1);
    now += 2_000;
    assert.equal((await ask()).allowed, true);
    allowed = false;
    now += 4 * 60_000;
    assert.equal((await ask()).allowed, true, "an allowed decision is kept 5 min");
    assert.equal(asked.tokenReviews, 2, "a token review is kept 2 min, then asked again");
    now += 61_000;
    assert.equal((await ask()).allowed, false);
    assert.equal(asked.sars.length, 3);
  });

  it("is a 500 Authorization error when the API server cannot decide, and asks again next time", async () => {
    const fail = { tokenReview: false, sar: true };
    const { client, asked } = fakeApi(() => true, fail);
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    const ask = () => auth.check(request("GET", "/stats/summary", { authorization: "Bearer good-token" }));
    assert.deepEqual(await ask(), { allowed: false, code: 500, message: "Authorization error (user=system:serviceaccount:x:y, verb=get, resource=nodes, subresource=stats)" });
    fail.sar = false;
    assert.equal((await ask()).allowed, true);
    assert.equal(asked.sars.length, 2);
  });

  it("refuses (401) when the token cannot be reviewed, without remembering it", async () => {
    const fail = { tokenReview: true, sar: false };
    const { client, asked } = fakeApi(() => true, fail);
    const auth = new KubeletAuth({ client, nodeName: "n1" });
    const ask = () => auth.check(request("GET", "/pods", { authorization: "Bearer good-token" }));
    assert.equal((await ask()).allowed, false);
    fail.tokenReview = false;
    assert.equal((await ask()).allowed, true);
    assert.equal(asked.tokenReviews, 2);
  });
});
