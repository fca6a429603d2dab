import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import type { Node, Pod, Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../../../api/errors.js";
import { serviceAccountKeyFromPem } from "../../../../pki/index.js";
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetters } from "../../../authentication/service-account-token.js";
import { createTokenRequest } from "./token-request.js";

const key = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
const T0 = Date.parse("2026-12-01T10:00:00Z");
const sa: ServiceAccount = { metadata: { name: "default", namespace: "default", uid: "sa-uid" } };
const pod: Pod = { metadata: { name: "web", namespace: "default", uid: "pod-uid" }, spec: { serviceAccountName: "default", nodeName: "n1", containers: [] } };
const other: Pod = { metadata: { name: "other", namespace: "default", uid: "o-uid" }, spec: { serviceAccountName: "builder", containers: [] } };
const secret: Secret = { metadata: { name: "s", namespace: "default", uid: "s-uid" } };
const node: Node = { metadata: { name: "n1", uid: "node-uid" } };

const getters: ServiceAccountTokenGetters = {
  getServiceAccount: async (ns, n) => (ns === "default" && n === "default" ? sa : undefined),
  getPod: async (_ns, n) => [pod, other].find((p) => p.metadata?.name === n),
  getSecret: async (_ns, n) => (n === "s" ? secret : undefined),
  getNode: async (n) => (n === "n1" ? node : undefined),
};
const warnings: string[] = [];
const options = { ...getters, key, now: () => T0, addWarning: (w: string) => warnings.push(w) };
const payload = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString());
const request = (spec: object, metadata: object = {}) => ({ kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1", metadata, spec });

describe("createTokenRequest", () => {
  it("issues an hour's token for the API's audience by default", async () => {
    const out = await createTokenRequest(options, { namespace: "default", name: "default", body: request({}) });
    assert.deepEqual(out.spec, { audiences: ["https://kubernetes.default.svc.cluster.local"], expirationSeconds: 3600 });
    assert.equal(out.metadata?.name, "default");
    assert.equal(out.status?.expirationTimestamp, "2026-12-01T11:00:00Z");
    const claims = payload(out.status!.token);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claims.iss, "https://kubernetes.default.svc.cluster.local");
    assert.equal(claims.sub, "system:serviceaccount:default:default");
    assert.deepEqual(claims["kubernetes.io"], { namespace: "default", serviceaccount: { name: "default", uid: "sa-uid" } });
    const auth = new ServiceAccountTokenAuthenticator({ ...getters, keys: [key.publicKey], now: () => T0 });
    assert.equal((await auth.authenticateToken(out.status!.token))?.username, "system:serviceaccount:default:default");
  });

  it("binds to a pod and names its node", async () => {
    const out = await createTokenRequest(options, { namespace: "default", name: "default", body: request({ audiences: ["vault"], expirationSeconds: 600, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } }) });
    const claims = payload(out.status!.token);
    assert.deepEqual(claims.aud, ["vault"]);
    assert.deepEqual(claims["kubernetes.io"].pod, { name: "web", uid: "pod-uid" });
    assert.deepEqual(claims["kubernetes.io"].node, { name: "n1", uid: "node-uid" });
  });

  it("extends the kubelet's 3607 s pod tokens to a year with warnafter", async () => {
    const out = await createTokenRequest(options, { namespace: "default", name: "default", body: request({ expirationSeconds: 3607, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: "pod-uid" } }) });
    const claims = payload(out.status!.token);
    assert.equal(claims.exp - claims.iat, 365 * 24 * 3600);
    assert.equal(claims["kubernetes.io"].warnafter, claims.iat + 3607);
    assert.equal(out.status?.expirationTimestamp, "2026-12-01T11:00:07Z");
  });

  it("binds to a secret and to a node", async () => {
    const s = await createTokenRequest(options, { namespace: "default", name: "default", body: request({ boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s" } }) });
    assert.deepEqual(payload(s.status!.token)["kubernetes.io"].secret, { name: "s", uid: "s-uid" });
    const n = await createTokenRequest(options, { namespace: "default", name: "default", body: request({ boundObjectRef: { kind: "Node", apiVersion: "v1", name: "n1" } }) });
    assert.deepEqual(payload(n.status!.token)["kubernetes.io"].node, { name: "n1", uid: "node-uid" });
  });

  it("shortens to the maximum with a warning", async () => {
    warnings.length = 0;
    const out = await createTokenRequest({ ...options, maxExpirationSeconds: 7200 }, { namespace: "default", name: "default", body: request({ expirationSeconds: 86400 }) });
    assert.equal(out.spec.expirationSeconds, 7200);
    assert.deepEqual(warnings, ["requested expiration of 86400 seconds shortened to 7200 seconds"]);
  });

  const refusals: { name: string; sa?: string; body: unknown; code: number; message: string }[] = [
    { name: "too short", body: request({ expirationSeconds: 60 }), code: 422, message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes' },
    { name: "too long", body: request({ expirationSeconds: 2 ** 33 }), code: 422, message: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: ${2 ** 33}: may not specify a duration larger than 2^32 seconds` },
    { name: "no such service account", sa: "ghost", body: request({}), code: 404, message: 'serviceaccounts "ghost" not found' },
    { name: "name mismatch", body: request({}, { name: "x" }), code: 422, message: 'TokenRequest.authentication.k8s.io "default" is invalid: metadata.name: Invalid value: "x": must match the service account name if specified' },
    { name: "no such pod", body: request({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "gone" } }), code: 404, message: 'pods "gone" not found' },
    { name: "pod of another service account", body: request({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "other" } }), code: 400, message: 'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.' },
    { name: "pod uid mismatch", body: request({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: "old" } }), code: 409, message: 'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated' },
    { name: "no such secret", body: request({ boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "t" } }), code: 404, message: 'secrets "t" not found' },
    { name: "no such node", body: request({ boundObjectRef: { kind: "Node", apiVersion: "v1", name: "n9" } }), code: 404, message: 'nodes "n9" not found' },
    { name: "unsupported kind", body: request({ boundObjectRef: { kind: "Deployment", apiVersion: "apps/v1", name: "d" } }), code: 400, message: "cannot bind token to object of type apps/v1, Kind=Deployment" },
    { name: "wrong kind of body", body: { kind: "ServiceAccount" }, code: 400, message: "the object provided is unrecognized (must be of type TokenRequest): ServiceAccount is not TokenRequest" },
  ];
  for (const r of refusals) {
    it(`refuses: ${r.name}`, async () => {
      await assert.rejects(createTokenRequest(options, { namespace: "default", name: r.sa ?? "default", body: r.body }), (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.message, r.message);
        assert.equal(err.code, r.code);
        return true;
      });
    });
  }
});
