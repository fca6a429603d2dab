/**
 * Identity and access as a cluster administrator checks it, with the real
 * kubectl: a user made from a CSR gets only what her Role grants, cannot
 * grant herself more, and cannot approve her own admin certificate;
 * impersonation needs the impersonate verb; `auth can-i` and `auth whoami`
 * tell the truth; anonymous requests see only the public information.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { userFromCsr } from "../../helpers/users.js";

describe("identity and access", () => {
  let server: RunningServer;
  let admin: ReturnType<typeof kubectlFor>;
  let jane: ReturnType<typeof kubectlFor>;
  let scratch: string;

  before(async () => {
    server = await startServer();
    admin = kubectlFor(server.kubeconfig);
    scratch = mkdtempSync(join(tmpdir(), "skiff-access-"));
    const kubeconfig = await userFromCsr(admin, { name: "jane", groups: ["developers"], dir: scratch, server: server.url, caFile: join(server.dataDir, "tls", "ca.crt") });
    jane = kubectlFor(kubeconfig);
    await admin.ok(["create", "namespace", "team"]);
    await admin.ok(["-n", "team", "create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods"]);
    await admin.ok(["-n", "team", "create", "rolebinding", "jane-reads-pods", "--role=pod-reader", "--user=jane"]);
    await admin.ok(["-n", "team", "create", "secret", "generic", "db", "--from-literal=password=hunter2"]);
  });

  after(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("lets a user do what her Role grants, in its namespace only", async () => {
    const pods = await jane.run(["-n", "team", "get", "pods"]);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stderr, /No resources found in team namespace/);
    assert.equal((await jane.ok(["auth", "can-i", "list", "pods", "-n", "team"])).trim(), "yes");
    const other = await jane.run(["-n", "default", "get", "pods"]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"/);
  });

  it("refuses what her Role does not grant, with upstream's message", async () => {
    const secrets = await jane.run(["-n", "team", "get", "secrets"]);
    assert.match(secrets.stderr, /secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "team"/);
    const secret = await jane.run(["-n", "team", "get", "secret", "db"]);
    assert.match(secret.stderr, /secrets "db" is forbidden: User "jane" cannot get resource "secrets" in API group "" in the namespace "team"/);
    const create = await jane.run(["-n", "team", "run", "x", "--image=busybox"]);
    assert.match(create.stderr, /pods is forbidden: User "jane" cannot create resource "pods"/);
    assert.equal((await jane.run(["auth", "can-i", "create", "pods", "-n", "team"])).stdout.trim(), "no");
  });

  it("does not let a user grant herself cluster-admin or approve her own admin certificate", async () => {
    const bind = await jane.run(["create", "clusterrolebinding", "jane-admin", "--clusterrole=cluster-admin", "--user=jane"]);
    assert.notEqual(bind.code, 0);
    assert.match(bind.stderr, /forbidden/i);
    // Even allowed to create bindings, she may not bind a role with more than she holds.
    await admin.ok(["create", "clusterrole", "binding-maker", "--verb=create,get,list", "--resource=clusterrolebindings,certificatesigningrequests"]);
    await admin.ok(["create", "clusterrolebinding", "jane-makes-bindings", "--clusterrole=binding-maker", "--user=jane"]);
    const escalate = await jane.run(["create", "clusterrolebinding", "jane-admin", "--clusterrole=cluster-admin", "--user=jane"]);
    assert.notEqual(escalate.code, 0);
    assert.match(escalate.stderr, /is attempting to grant RBAC permissions not currently held/);
    // She may now create requests and update approvals, but approving needs the approve verb on the signer, which she lacks.
    await admin.ok(["create", "clusterrole", "csr-approver-without-signer", "--verb=update", "--resource=certificatesigningrequests/approval"]);
    await admin.ok(["create", "clusterrolebinding", "jane-approves", "--clusterrole=csr-approver-without-signer", "--user=jane"]);
    const request = (name: string, subject: string) => {
      execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", join(scratch, `${name}.key`), "-out", join(scratch, `${name}.csr`), "-subj", subject], { stdio: "ignore" });
      return JSON.stringify({
        apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
        spec: { request: readFileSync(join(scratch, `${name}.csr`)).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"] },
      });
    };
    const masters = await jane.run(["create", "-f", "-"], { input: request("jane-admin", "/CN=jane/O=system:masters") });
    assert.notEqual(masters.code, 0);
    assert.match(masters.stderr, /use of kubernetes\.io\/kube-apiserver-client signer with system:masters group is not allowed/);
    await jane.ok(["create", "-f", "-"], { input: request("jane-second", "/CN=jane") });
    const approve = await jane.run(["certificate", "approve", "jane-second"]);
    assert.notEqual(approve.code, 0, approve.stdout);
    assert.match(approve.stderr, /user not permitted to approve requests with signerName "kubernetes\.io\/kube-apiserver-client"/);
    assert.match(await admin.ok(["get", "csr", "jane-second"]), /\sPending$/m);
  });

  it("allows impersonation only with the impersonate verb", async () => {
    assert.match(await admin.ok(["auth", "whoami", "--as=foo", "--as-group=bar"]), /^Username\s+foo$/m);
    const r = await jane.run(["-n", "team", "get", "pods", "--as=foo"]);
    assert.match(r.stderr, /users "foo" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope/);
    // kubectl reports a refused SelfSubjectReview in its own words, as against upstream.
    const whoami = await jane.run(["auth", "whoami", "--as=foo"]);
    assert.notEqual(whoami.code, 0);
    assert.match(whoami.stderr, /the selfsubjectreviews API is not enabled in the cluster or you do not have permission to call it/);
  });

  it("answers can-i truthfully for others", async () => {
    assert.equal((await admin.run(["auth", "can-i", "create", "pods", "--as=system:serviceaccount:default:nobody"])).stdout.trim(), "no");
    assert.equal((await admin.run(["auth", "can-i", "list", "pods", "-n", "team", "--as=jane"])).stdout.trim(), "yes");
    const list = await jane.ok(["auth", "can-i", "--list", "-n", "team"]);
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /selfsubjectaccessreviews\.authorization\.k8s\.io/);
  });

  it("gives anonymous requests only the public information", async () => {
    const { Client } = await import("../../../src/client/index.js");
    const { readFileSync } = await import("node:fs");
    const client = new Client({ server: server.url, ca: readFileSync(join(server.dataDir, "tls", "ca.crt"), "utf8") });
    try {
      assert.ok(await client.request("GET", "/version"));
      await assert.rejects(client.request("GET", "/api/v1/namespaces/team/secrets"), (e: { code?: number }) => e.code === 403);
      await assert.rejects(client.request("GET", "/apis"), (e: { code?: number }) => e.code === 403);
    } finally {
      client.close();
    }
  });

  it("refuses a privileged pod in a namespace that enforces PodSecurity restricted, and warns where it only warns", async () => {
    await admin.ok(["create", "namespace", "locked"]);
    await admin.ok(["label", "namespace", "locked", "pod-security.kubernetes.io/enforce=restricted"]);
    const refused = await admin.run(["-n", "locked", "run", "root", "--image=busybox", "--privileged"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "root" must not set securityContext\.privileged=true\)/);
    await admin.ok(["create", "namespace", "watched"]);
    await admin.ok(["label", "namespace", "watched", "pod-security.kubernetes.io/warn=baseline"]);
    const warned = await admin.run(["-n", "watched", "run", "root", "--image=busybox", "--privileged"]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /Warning: would violate PodSecurity "baseline:latest": privileged/);
  });
});
