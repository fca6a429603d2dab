import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Node, Pod, Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import {
  boundClaims, ensureServiceAccountKey, keyIdFromPublicKey, legacyClaims, serviceAccountKeyFromPem, signServiceAccountToken, LEGACY_ISSUER,
} from "../../pki/index.js";
import { InvalidTokenError, ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetters } from "./service-account-token.js";

const key = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
const otherKey = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }) as string);
const T0 = Date.parse("2026-12-01T10:00:00Z");

const newSA = (name = "default", uid = "sa-uid"): ServiceAccount => ({ metadata: { name, namespace: "default", uid } });
const newPod = (over: Partial<Pod["metadata"]> = {}): Pod => ({ metadata: { name: "web", namespace: "default", uid: "pod-uid", ...over }, spec: { containers: [], nodeName: "n1" } });
const newNode = (uid = "node-uid"): Node => ({ metadata: { name: "n1", uid } });

/** An in-memory world of objects and a clock the test moves. */
function world(objs: { sa?: ServiceAccount[]; pods?: Pod[]; secrets?: Secret[]; nodes?: Node[] } = {}) {
  const clock = { now: T0 };
  const reads = { n: 0 };
  const getters: ServiceAccountTokenGetters = {
    getServiceAccount: async (ns, n) => { reads.n++; return (objs.sa ?? [newSA()]).find((o) => o.metadata?.namespace === ns && o.metadata?.name === n); },
    getPod: async (ns, n) => { reads.n++; return (objs.pods ?? []).find((o) => o.metadata?.namespace === ns && o.metadata?.name === n); },
    getSecret: async (ns, n) => { reads.n++; return (objs.secrets ?? []).find((o) => o.metadata?.namespace === ns && o.metadata?.name === n); },
    getNode: async (n) => { reads.n++; return (objs.nodes ?? []).find((o) => o.metadata?.name === n); },
  };
  const auth = new ServiceAccountTokenAuthenticator({ ...getters, keys: [key.publicKey], now: () => clock.now });
  return { clock, auth, reads, objs };
}

async function reason(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (err) {
    assert.ok(err instanceof InvalidTokenError, `want InvalidTokenError, got ${String(err)}`);
    assert.equal(err.code, 401);
    return err.why;
  }
  return "accepted";
}

describe("service-account key", () => {
  it("is made once with mode 0600 and keeps its kid", () => {
    const dir = mkdtempSync(join(tmpdir(), "sa-key-"));
    try {
      const a = ensureServiceAccountKey(dir);
      assert.equal(statSync(join(dir, "service-account.key")).mode & 0o777, 0o600);
      const b = ensureServiceAccountKey(dir);
      assert.equal(a.keyId, b.keyId);
      assert.match(a.keyId, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(a.keyId, keyIdFromPublicKey(a.publicKey));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
  it("serves its public half as a signing JWK", async () => {
    const jwk = await key.publicJwk();
    assert.deepEqual({ use: jwk.use, kty: jwk.kty, kid: jwk.kid, alg: jwk.alg, e: jwk.e }, { use: "sig", kty: "RSA", kid: key.keyId, alg: "RS256", e: "AQAB" });
    assert.equal(jwk.d, undefined);
  });
});

describe("ServiceAccountTokenAuthenticator", () => {
  const aud = ["https://kubernetes.default.svc.cluster.local"];
  const token = (over: Partial<Parameters<typeof boundClaims>[0]> = {}, signer = key) =>
    signServiceAccountToken(signer, boundClaims({ serviceAccount: newSA(), expirationSeconds: 3600, audiences: aud, now: T0, ...over }));

  it("round-trips a token to the service account's user", async () => {
    const { auth } = world();
    const t = await token();
    const header = JSON.parse(Buffer.from(t.split(".")[0]!, "base64url").toString());
    assert.deepEqual(header, { alg: "RS256", kid: key.keyId });
    const user = await auth.authenticateToken(t);
    const jti = JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).jti;
    assert.deepEqual(user, {
      username: "system:serviceaccount:default:default", uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
      extra: { "authentication.kubernetes.io/credential-id": [`JTI=${jti}`] },
    });
  });

  it("puts the pod and its node into the user's extra", async () => {
    const { auth } = world({ pods: [newPod()], nodes: [newNode()] });
    const user = await auth.authenticateToken(await token({ pod: newPod(), node: newNode() }));
    assert.deepEqual(user?.extra?.["authentication.kubernetes.io/pod-name"], ["web"]);
    assert.deepEqual(user?.extra?.["authentication.kubernetes.io/pod-uid"], ["pod-uid"]);
    assert.deepEqual(user?.extra?.["authentication.kubernetes.io/node-name"], ["n1"]);
    assert.deepEqual(user?.extra?.["authentication.kubernetes.io/node-uid"], ["node-uid"]);
  });

  it("leaves tokens that are not ours to other authenticators", async () => {
    const { auth } = world();
    const foreign = await signServiceAccountToken(key, { ...boundClaims({ serviceAccount: newSA(), expirationSeconds: 3600, audiences: aud, now: T0 }), iss: "https://accounts.example" });
    for (const t of ["abcdef0123456789", "a.b", "not.a.jwt!", foreign]) assert.equal(await auth.authenticateToken(t), undefined, t);
  });

  const cases: { name: string; objs?: Parameters<typeof world>[0]; tok: () => Promise<string>; advance?: number; want: string }[] = [
    { name: "expired beyond the leeway", tok: () => token(), advance: 3600_000 + 61_000, want: "service account token has expired" },
    { name: "expired within the leeway", tok: () => token(), advance: 3600_000 + 30_000, want: "accepted" },
    { name: "not yet valid", tok: () => token({ now: T0 + 5 * 60_000 }), want: "service account token is not valid yet" },
    { name: "wrong audience", tok: () => token({ audiences: ["vault"] }), want: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]' },
    { name: "signed by another key", tok: () => token({}, otherKey), want: "signature verification failed" },
    { name: "service account gone", objs: { sa: [] }, tok: () => token(), want: 'serviceaccounts "default" not found' },
    { name: "service account recreated", objs: { sa: [newSA("default", "new-uid")] }, tok: () => token(), want: "service account UID (new-uid) does not match claim (sa-uid)" },
    { name: "bound pod deleted", objs: { pods: [] }, tok: () => token({ pod: newPod() }), want: "service account token has been invalidated" },
    { name: "bound pod terminating for long", objs: { pods: [newPod({ deletionTimestamp: new Date(T0 - 120_000).toISOString() })] }, tok: () => token({ pod: newPod() }), want: "service account token has been invalidated" },
    { name: "bound pod terminating just now", objs: { pods: [newPod({ deletionTimestamp: new Date(T0 - 10_000).toISOString() })] }, tok: () => token({ pod: newPod() }), want: "accepted" },
    { name: "bound pod recreated", objs: { pods: [newPod({ uid: "other" })] }, tok: () => token({ pod: newPod() }), want: "pod UID (other) does not match service account pod ref claim (pod-uid)" },
    { name: "bound secret deleted", tok: () => token({ secret: { metadata: { name: "s", uid: "s-uid" } } }), want: "service account token has been invalidated" },
    { name: "bound node deleted", tok: () => token({ node: newNode() }), want: "service account token has been invalidated" },
    { name: "bound node recreated", objs: { nodes: [newNode("n-2")] }, tok: () => token({ node: newNode() }), want: "node UID (n-2) does not match service account node ref claim (node-uid)" },
    { name: "pod-bound token with node gone", objs: { pods: [newPod()] }, tok: () => token({ pod: newPod(), node: newNode() }), want: "accepted" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { auth, clock } = world(c.objs);
      const t = await c.tok();
      clock.now += c.advance ?? 0;
      const got = await reason(auth.authenticateToken(t));
      if (c.want === "signature verification failed") assert.match(got, /signature verification failed/);
      else assert.equal(got, c.want);
    });
  }

  describe("result cache", () => {
    it("answers a token again for 10 s without reading its objects", async () => {
      const { auth, clock, reads } = world({ pods: [newPod()] });
      const t = await token({ pod: newPod() });
      const first = await auth.authenticateToken(t);
      assert.equal(reads.n, 2);
      clock.now += 9_000;
      assert.deepEqual(await auth.authenticateToken(t), first);
      assert.equal(reads.n, 2);
      clock.now += 1_000;
      assert.deepEqual(await auth.authenticateToken(t), first);
      assert.equal(reads.n, 4);
    });

    it("refuses a token at once when the server sees its bound pod go", async () => {
      const w = world({ pods: [newPod()] });
      const t = await token({ pod: newPod() });
      assert.equal((await w.auth.authenticateToken(t))?.username, "system:serviceaccount:default:default");
      w.objs.pods = [];
      // The server's watch reports the deletion: the cached answer goes with the pod.
      w.auth.invalidate("pods", "default", "web");
      assert.equal(await reason(w.auth.authenticateToken(t)), "service account token has been invalidated");
      // A change to another pod leaves other answers alone.
      const other = world({ pods: [newPod()] });
      const t2 = await token({ pod: newPod() });
      await other.auth.authenticateToken(t2);
      other.auth.invalidate("pods", "default", "db");
      const before = other.reads.n;
      await other.auth.authenticateToken(t2);
      assert.equal(other.reads.n, before);
    });

    it("without the watch's word, refuses a deleted pod's token within the TTL (upstream's staleness)", async () => {
      const w = world({ pods: [newPod()] });
      const t = await token({ pod: newPod() });
      await w.auth.authenticateToken(t);
      w.objs.pods = [];
      assert.equal(await reason(w.auth.authenticateToken(t)), "accepted");
      w.clock.now += 10_000;
      assert.equal(await reason(w.auth.authenticateToken(t)), "service account token has been invalidated");
    });

    it("does not serve a result past the token's expiry or a terminating pod's leeway", async () => {
      const expiring = world();
      const t = await token();
      expiring.clock.now += 3600_000 + 55_000;
      assert.equal(await reason(expiring.auth.authenticateToken(t)), "accepted");
      expiring.clock.now += 6_000;
      assert.equal(await reason(expiring.auth.authenticateToken(t)), "service account token has expired");

      const terminating = world({ pods: [newPod({ deletionTimestamp: new Date(T0 - 55_000).toISOString() })] });
      const bound = await token({ pod: newPod() });
      assert.equal(await reason(terminating.auth.authenticateToken(bound)), "accepted");
      terminating.clock.now += 6_000;
      assert.equal(await reason(terminating.auth.authenticateToken(bound)), "service account token has been invalidated");
    });

    it("keeps no failure: a token refused a moment ago is accepted once its objects are there", async () => {
      const w = world({ sa: [] });
      const t = await token();
      assert.equal(await reason(w.auth.authenticateToken(t)), 'serviceaccounts "default" not found');
      w.objs.sa = [newSA()];
      assert.equal(await reason(w.auth.authenticateToken(t)), "accepted");
    });

    it("keeps a legacy token's answer only while its Secret and service account stay as they were", async () => {
      const secret: Secret = { metadata: { name: "default-token", namespace: "default", uid: "s1" }, type: "kubernetes.io/service-account-token" };
      const t = await signServiceAccountToken(key, legacyClaims(newSA(), secret));
      const w = world({ secrets: [{ ...secret, data: { token: Buffer.from(t).toString("base64") } }] });
      assert.equal(await reason(w.auth.authenticateToken(t)), "accepted");
      w.objs.secrets = [];
      w.auth.invalidate("secrets", "default", "default-token");
      assert.equal(await reason(w.auth.authenticateToken(t)), "token has been invalidated");
    });
  });

  it("accepts a token for an audience TokenReview asks about", async () => {
    const { auth } = world();
    const result = await auth.authenticate(await token({ audiences: ["vault", "other"] }), ["vault"]);
    assert.deepEqual(result?.audiences, ["vault"]);
  });

  it("accepts a legacy token while its Secret holds it", async () => {
    const secret: Secret = { metadata: { name: "default-token", namespace: "default", uid: "s1" }, type: "kubernetes.io/service-account-token" };
    const t = await signServiceAccountToken(key, legacyClaims(newSA(), secret));
    assert.equal(JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).iss, LEGACY_ISSUER);
    const held = { ...secret, data: { token: Buffer.from(t).toString("base64") } };
    const marked: string[] = [];
    const auth = new ServiceAccountTokenAuthenticator({
      ...world({ secrets: [held] }).auth["options"],
      markLegacyTokenUsed: async (s, date) => { marked.push(`${s.metadata?.name} ${date}`); },
    });
    assert.equal((await auth.authenticateToken(t))?.username, "system:serviceaccount:default:default");
    assert.deepEqual(marked, ["default-token 2026-12-01"]);
    assert.equal(await reason(world({ secrets: [] }).auth.authenticateToken(t)), "token has been invalidated");
    assert.equal(await reason(world({ secrets: [{ ...held, data: { token: "b3RoZXI=" } }] }).auth.authenticateToken(t)), "token does not match server's copy");
    const invalid = { ...held, metadata: { ...held.metadata, labels: { "kubernetes.io/legacy-token-invalid-since": "2026-11-01" } } };
    assert.match(await reason(world({ secrets: [invalid] }).auth.authenticateToken(t)), /has been marked invalid/);
  });
});
