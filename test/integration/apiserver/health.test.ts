/**
 * The API server's health endpoints, read as an operator or a load balancer
 * reads them: kubectl get --raw, upstream's check names and formats.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startControlPlane } from "../../helpers/control-plane.js";
import { kubectlFor } from "../../helpers/kubectl.js";

describe("health endpoints", () => {
  it("list upstream's checks, serve each alone, and refuse other verbs on /version", async () => {
    await using cp = await startControlPlane();
    const kubectl = kubectlFor(cp.kubeconfig).run;
    const verbose = await kubectl(["get", "--raw", "/readyz?verbose"]);
    assert.equal(verbose.code, 0, verbose.stderr);
    for (const check of ["ping", "log", "etcd", "informer-sync", "poststarthook/rbac/bootstrap-roles", "poststarthook/bootstrap-controller", "shutdown"]) {
      assert.match(verbose.stdout, new RegExp(`^\\[\\+\\]${check} ok$`, "m"), check);
    }
    assert.match(verbose.stdout, /readyz check passed/);
    assert.equal((await kubectl(["get", "--raw", "/livez/ping"])).stdout, "ok");
    assert.equal((await kubectl(["get", "--raw", "/healthz/etcd"])).stdout, "ok");
    const deleted = await kubectl(["delete", "--raw", "/version"]);
    assert.notEqual(deleted.code, 0);
    assert.match(deleted.stderr, /MethodNotAllowed|405|Method Not Allowed/);
  });
});
