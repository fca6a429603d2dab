/**
 * The CEL authorizer library in a ValidatingAdmissionPolicy, checked
 * against the server's RBAC for the request's user (kubectl --as): a user
 * who may not update deployments/scale is refused more than one replica, one
 * who may is not; a deployment whose runs-as service account cannot list
 * pods is refused; requestResource and path checks let allowed requests by.
 * authorizer.requestResource, moved by namespace() and subresource(), decides
 * for the request's own resource.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const fixture = (name: string) => join(repoRoot, "test/e2e/validating-admission-policy", name);

const deployment = (name: string, replicas: number, labels: Record<string, string> = {}) => JSON.stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "default", labels: { app: name, ...labels } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
});

describe("the CEL authorizer library in a ValidatingAdmissionPolicy", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const createAs = (user: string, body: string) => kubectl.run(["create", "-f", "-", `--as=${user}`], { input: body });
  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    assert.match(await kubectl.ok(["apply", "-f", fixture("authorizer.yaml")]), /validatingadmissionpolicy.admissionregistration.k8s.io\/scale-needs-permission created/);
  });
  after(async () => { await server?.[Symbol.asyncDispose](); });

  it("refuses more than one replica to a user RBAC does not let scale, and lets one that may", async () => {
    const refused = await eventually(async () => {
      const r = await createAs("bob", deployment("bob-big", 3));
      return r.code !== 0 && /denied request/.test(r.stderr) ? r : undefined;
    }, 20_000, 200);
    assert.match(refused!.stderr, /deployments.apps "bob-big" is forbidden: ValidatingAdmissionPolicy 'scale-needs-permission' with binding 'scale-needs-permission-binding' denied request: more than one replica needs permission to update deployments\/scale/);
    const small = await createAs("bob", deployment("bob-small", 1));
    assert.equal(small.code, 0, small.stderr);
    const big = await createAs("carol", deployment("carol-big", 3));
    assert.equal(big.code, 0, big.stderr);
    // The admin, allowed everything, scales bob's deployment; bob himself may not.
    const bobScales = await kubectl.run(["patch", "deployment", "bob-small", "--as=bob", "--type=merge", "-p", '{"spec":{"replicas":2}}']);
    assert.notEqual(bobScales.code, 0);
    assert.match(bobScales.stderr, /more than one replica needs permission to update deployments\/scale/);
    await kubectl.ok(["patch", "deployment", "bob-small", "--type=merge", "-p", '{"spec":{"replicas":2}}']);
  });

  it("checks as a named service account", async () => {
    const ok = await createAs("carol", deployment("reads", 1, { "runs-as": "reader" }));
    assert.equal(ok.code, 0, ok.stderr);
    const refused = await createAs("carol", deployment("cannot-read", 1, { "runs-as": "nobody" }));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /The deployments "cannot-read" is invalid: : ValidatingAdmissionPolicy 'scale-needs-permission' with binding 'scale-needs-permission-binding' denied request: the runs-as service account may not list pods/);
  });

  it("checks the request's own resource as authorizer.requestResource, in another namespace or a subresource", async () => {
    await kubectl.ok(["apply", "-f", fixture("request-resource.yaml")]);
    const configMap = (name: string, labels: Record<string, string>) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels } });
    const refused = await eventually(async () => {
      const r = await createAs("bob", configMap("bob-protected", { protected: "yes" }));
      return r.code !== 0 && /denied request/.test(r.stderr) ? r : undefined;
    }, 20_000, 200);
    assert.match(refused!.stderr, /configmaps "bob-protected" is forbidden: ValidatingAdmissionPolicy 'request-resource' with binding 'request-resource-binding' denied request: only a user who may delete it may protect a configmap/);
    const plain = await createAs("bob", configMap("bob-plain", {}));
    assert.equal(plain.code, 0, plain.stderr);
    const kept = await createAs("carol", configMap("carol-protected", { protected: "yes" }));
    assert.equal(kept.code, 0, kept.stderr);

    const copied = await createAs("carol", configMap("carol-copied", { "copy-to": "other" }));
    assert.equal(copied.code, 0, copied.stderr);
    const notThere = await createAs("carol", configMap("carol-to-system", { "copy-to": "kube-system" }));
    assert.match(notThere.stderr, /denied request: copy-to names a namespace where the user may not create configmaps/);
    const bobCopies = await createAs("bob", configMap("bob-copied", { "copy-to": "other" }));
    assert.match(bobCopies.stderr, /denied request: copy-to names a namespace where the user may not create configmaps/);

    const bobStatus = await createAs("bob", deployment("bob-status", 1, { "status-writer": "yes" }));
    assert.match(bobStatus.stderr, /deployments.apps "bob-status" is forbidden: ValidatingAdmissionPolicy 'request-resource' with binding 'request-resource-binding' denied request: a status-writer needs the right to update the status/);
    const carolStatus = await createAs("carol", deployment("carol-status", 1, { "status-writer": "yes" }));
    assert.equal(carolStatus.code, 0, carolStatus.stderr);
  });
});
