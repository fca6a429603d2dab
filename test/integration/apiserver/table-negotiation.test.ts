/**
 * Table output is negotiated as upstream's: a response that has no object
 * metadata to print (a review) is 406 to a client that accepts only Tables,
 * and served as JSON when the client also accepts JSON.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import https from "node:https";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { startControlPlane } from "../../helpers/control-plane.js";

function post(kubeconfig: string, path: string, body: unknown, accept: string) {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8"));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  return new Promise<{ code: number; body: { kind?: string; reason?: string } }>((resolve, reject) => {
    const req = https.request(cluster.server + path, {
      method: "POST",
      headers: { accept, "content-type": "application/json" },
      ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
      cert: Buffer.from(user["client-certificate-data"], "base64"),
      key: Buffer.from(user["client-key-data"], "base64"),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("table negotiation", () => {
  it("refuses a Table-only client a review with 406, and answers one that also takes JSON", async () => {
    await using cp = await startControlPlane();
    const review = { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { nonResourceAttributes: { path: "/", verb: "get" } } };
    const path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    const tableOnly = await post(cp.kubeconfig, path, review, "application/json;as=Table;v=v1;g=meta.k8s.io");
    assert.equal(tableOnly.code, 406);
    assert.equal(tableOnly.body.reason, "NotAcceptable");
    const withFallback = await post(cp.kubeconfig, path, review, "application/json;as=Table;v=v1;g=meta.k8s.io, application/json");
    assert.equal(withFallback.code, 201);
    assert.equal(withFallback.body.kind, "SelfSubjectAccessReview");
  });
});
