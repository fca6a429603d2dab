/**
 * Workload identity as a kubectl user meets it: tokens from `kubectl create
 * token` (plain and bound to a pod), legacy Secret tokens, the
 * kube-api-access volume pods get, kube-root-ca.crt in every namespace, and
 * issuer discovery.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

const scratch = mkdtempSync(join(tmpdir(), "skiff-e2e-sa-"));

describe("service accounts", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let ca: string;

  /** kubectl with nothing but the bearer token (no client certificate to fall back on). */
  const asToken = (token: string) => {
    const file = join(scratch, `token-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, [
      "apiVersion: v1", "kind: Config", "current-context: t",
      "clusters:", "- name: c", "  cluster:", `    server: ${server.url}`, `    certificate-authority-data: ${Buffer.from(ca).toString("base64")}`,
      "contexts:", "- name: t", "  context: {cluster: c, user: u}",
      "users:", "- name: u", "  user:", `    token: ${token}`, "",
    ].join("\n"), { mode: 0o600 });
    return kubectlFor(file);
  };
  const whoami = async (token: string) => JSON.parse(await asToken(token).ok(["auth", "whoami", "-o", "json"])).status.userInfo;
  const payload = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    ca = readFileSync(join(server.dataDir, "tls", "ca.crt"), "utf8");
    // The serviceaccount controller makes `default` shortly after start.
    await eventually(async () => (await kubectl.run(["get", "serviceaccount", "default"])).code === 0, 20_000);
  });
  after(async () => {
    await server[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("kubectl create token gives a token the server knows as the service account", async () => {
    const token = (await kubectl.ok(["create", "token", "default"])).trim();
    const claims = payload(token);
    assert.equal(claims.iss, "https://kubernetes.default.svc.cluster.local");
    assert.deepEqual(claims.aud, ["https://kubernetes.default.svc.cluster.local"]);
    assert.equal(claims.exp - claims.iat, 3600);
    const user = await whoami(token);
    assert.equal(user.username, "system:serviceaccount:default:default");
    assert.deepEqual(user.groups, ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]);
    assert.deepEqual(user.extra["authentication.kubernetes.io/credential-id"], [`JTI=${claims.jti}`]);

    const long = payload((await kubectl.ok(["create", "token", "default", "--duration", "2h", "--audience", "vault"])).trim());
    assert.equal(long.exp - long.iat, 7200);
    assert.deepEqual(long.aud, ["vault"]);
    const short = await kubectl.run(["create", "token", "default", "--duration", "1m"]);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /TokenRequest\.authentication\.k8s\.io "" is invalid: spec\.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/);
    const missing = await kubectl.run(["create", "token", "ghost"]);
    assert.match(missing.stderr, /serviceaccounts "ghost" not found/);
  });

  it("a token meant for another audience is not accepted here", async () => {
    const token = (await kubectl.ok(["create", "token", "default", "--audience", "vault"])).trim();
    const r = await asToken(token).run(["auth", "whoami"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized/);
    // A relying party asks TokenReview about its own audience.
    const review = async (audiences?: string[]) => JSON.parse(await kubectl.ok(["create", "-o", "json", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences } }),
    })).status;
    const forVault = await review(["vault"]);
    assert.equal(forVault.authenticated, true);
    assert.equal(forVault.user.username, "system:serviceaccount:default:default");
    assert.deepEqual(await review(), { authenticated: false, error: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]' });
  });

  it("pods get the kube-api-access volume; a token bound to a pod dies with it", async () => {
    await kubectl.ok(["run", "web", "--image=busybox", "--", "sleep", "3600"]);
    const pod = JSON.parse(await kubectl.ok(["get", "pod", "web", "-o", "json"]));
    assert.equal(pod.spec.serviceAccountName, "default");
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith("kube-api-access-"));
    assert.match(volume.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(volume.projected.sources[0], { serviceAccountToken: { expirationSeconds: 3607, path: "token" } });
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: volume.name, readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }]);

    const token = (await kubectl.ok(["create", "token", "default", "--bound-object-kind", "Pod", "--bound-object-name", "web"])).trim();
    const user = await whoami(token);
    assert.deepEqual(user.extra["authentication.kubernetes.io/pod-name"], ["web"]);
    assert.deepEqual(user.extra["authentication.kubernetes.io/pod-uid"], [pod.metadata.uid]);
    const wrongUid = await kubectl.run(["create", "token", "default", "--bound-object-kind", "Pod", "--bound-object-name", "web", "--bound-object-uid", "00000000-0000-0000-0000-000000000000"]);
    assert.match(wrongUid.stderr, /the UID in the bound object reference \(00000000-0000-0000-0000-000000000000\) does not match the UID in record/);

    await kubectl.ok(["delete", "pod", "web", "--grace-period=0", "--force"]);
    await eventually(async () => (await kubectl.run(["get", "pod", "web"])).code !== 0, 20_000);
    const r = await asToken(token).run(["auth", "whoami"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized/);
  });

  it("a pod in a namespace made a moment ago waits for its default service account", async () => {
    await kubectl.ok(["create", "namespace", "fresh"]);
    await kubectl.ok(["run", "p", "-n", "fresh", "--image=busybox", "--", "sleep", "3600"]);
    assert.equal((await kubectl.ok(["get", "pod", "p", "-n", "fresh", "-o", "jsonpath={.spec.serviceAccountName}"])), "default");
    const none = await kubectl.run(["run", "q", "-n", "fresh", "--image=busybox", "--overrides", JSON.stringify({ spec: { serviceAccountName: "ghost" } })]);
    assert.match(none.stderr, /pods "q" is forbidden: error looking up service account fresh\/ghost: serviceaccount "ghost" not found/);
  });

  it("every namespace holds kube-root-ca.crt, put back when deleted", async () => {
    await kubectl.ok(["create", "namespace", "team-a"]);
    const caOf = async () => {
      const r = await kubectl.run(["get", "configmap", "kube-root-ca.crt", "-n", "team-a", "-o", "json"]);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    };
    const cm = await eventually(caOf, 20_000);
    assert.equal(cm.data["ca.crt"], ca);
    assert.match(cm.metadata.annotations["kubernetes.io/description"], /^Contains a CA bundle that can be used to verify the kube-apiserver/);
    await kubectl.ok(["delete", "configmap", "kube-root-ca.crt", "-n", "team-a"]);
    await eventually(caOf, 20_000);
  });

  it("a legacy token Secret gets a token that works while the Secret exists", async () => {
    await kubectl.ok(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name: "default-token", annotations: { "kubernetes.io/service-account.name": "default" } } }),
    });
    const secret = await eventually(async () => {
      const s = JSON.parse(await kubectl.ok(["get", "secret", "default-token", "-o", "json"]));
      return s.data?.token ? s : undefined;
    }, 20_000);
    assert.equal(Buffer.from(secret.data["ca.crt"], "base64").toString(), ca);
    assert.equal(Buffer.from(secret.data.namespace, "base64").toString(), "default");
    const token = Buffer.from(secret.data.token, "base64").toString();
    assert.equal(payload(token).iss, "kubernetes/serviceaccount");
    assert.equal((await whoami(token)).username, "system:serviceaccount:default:default");
    await kubectl.ok(["delete", "secret", "default-token"]);
    const r = await asToken(token).run(["auth", "whoami"]);
    assert.match(r.stderr, /Unauthorized/);
  });

  it("serves issuer discovery", async () => {
    const config = JSON.parse(await kubectl.ok(["get", "--raw", "/.well-known/openid-configuration"]));
    assert.deepEqual(config, {
      issuer: "https://kubernetes.default.svc.cluster.local",
      jwks_uri: `https://${new URL(server.url).host}/openid/v1/jwks`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const jwks = JSON.parse(await kubectl.ok(["get", "--raw", "/openid/v1/jwks"]));
    const token = (await kubectl.ok(["create", "token", "default"])).trim();
    const kid = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid;
    assert.deepEqual(jwks.keys.map((k: { kid: string; use: string; alg: string; kty: string }) => [k.kid, k.use, k.alg, k.kty]), [[kid, "sig", "RS256", "RSA"]]);
  });
});

describe("service-account flags of skiff server", () => {
  it("--service-account-max-token-expiration shortens with a warning; --api-audiences accepts each audience", async () => {
    await using server = await startServer({ args: ["--service-account-max-token-expiration", "24h", "--api-audiences", "https://kubernetes.default.svc.cluster.local,skiff"] });
    const kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.run(["get", "serviceaccount", "default"])).code === 0, 20_000);
    const long = await kubectl.run(["create", "token", "default", "--duration", "48h"]);
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stderr, /Warning: requested expiration of 172800 seconds shortened to 86400 seconds/);
    const claims = JSON.parse(Buffer.from(long.stdout.trim().split(".")[1]!, "base64url").toString());
    assert.equal(claims.exp - claims.iat, 86400);
    assert.deepEqual(claims.aud, ["https://kubernetes.default.svc.cluster.local", "skiff"]);
    const token = (await kubectl.ok(["create", "token", "default", "--audience", "skiff"])).trim();
    const dir = mkdtempSync(join(tmpdir(), "skiff-e2e-sa-flags-"));
    try {
      const file = join(dir, "token.yaml");
      writeFileSync(file, [
        "apiVersion: v1", "kind: Config", "current-context: t",
        `clusters: [{name: c, cluster: {server: "${server.url}", certificate-authority: "${join(server.dataDir, "tls", "ca.crt")}"}}]`,
        `users: [{name: u, user: {token: "${token}"}}]`, "contexts: [{name: t, context: {cluster: c, user: u}}]", "",
      ].join("\n"));
      const who = JSON.parse(await kubectlFor(file).ok(["auth", "whoami", "-o", "json"]));
      assert.equal(who.status.userInfo.username, "system:serviceaccount:default:default");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
