import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import type { Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import { serviceAccountKeyFromPem } from "../../pki/index.js";
import { populatedTokenSecret } from "./tokens-controller.js";

const key = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
const sa: ServiceAccount = { metadata: { name: "build", namespace: "ci", uid: "sa-uid" } };
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const secret = (over: Partial<Secret> = {}): Secret => ({
  metadata: { name: "build-token", namespace: "ci", uid: "s-uid", annotations: { "kubernetes.io/service-account.name": "build" } },
  type: "kubernetes.io/service-account-token", ...over,
});
const text = (b64?: string) => Buffer.from(b64 ?? "", "base64").toString();

describe("populatedTokenSecret", () => {
  it("fills token, ca.crt, namespace and the uid annotation", async () => {
    const out = await populatedTokenSecret(secret(), sa, key, CA);
    assert.equal(text(out?.data?.["ca.crt"]), CA);
    assert.equal(text(out?.data?.namespace), "ci");
    assert.equal(out?.metadata?.annotations?.["kubernetes.io/service-account.uid"], "sa-uid");
    const claims = JSON.parse(Buffer.from(text(out?.data?.token).split(".")[1]!, "base64url").toString());
    assert.deepEqual(claims, {
      iss: "kubernetes/serviceaccount",
      "kubernetes.io/serviceaccount/namespace": "ci",
      "kubernetes.io/serviceaccount/secret.name": "build-token",
      "kubernetes.io/serviceaccount/service-account.name": "build",
      "kubernetes.io/serviceaccount/service-account.uid": "sa-uid",
      sub: "system:serviceaccount:ci:build",
    });
  });

  it("keeps an existing token and changes nothing that is complete", async () => {
    const full = (await populatedTokenSecret(secret(), sa, key, CA))!;
    assert.equal(await populatedTokenSecret(full, sa, key, CA), undefined);
    const noCa: Secret = { ...full, data: { ...full.data, "ca.crt": "" } };
    const refilled = await populatedTokenSecret(noCa, sa, key, CA);
    assert.equal(refilled?.data?.token, full.data?.token);
    assert.equal(text(refilled?.data?.["ca.crt"]), CA);
  });
});
