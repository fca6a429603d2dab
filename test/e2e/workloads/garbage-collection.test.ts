/**
 * The garbage collector as upstream's: foreground deletion through an
 * ownership cycle completes, and a dependent with another, living owner is
 * released rather than deleted when one owner goes in the foreground.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

interface Meta { metadata: { uid: string; ownerReferences?: { name: string }[] } }

describe("garbage collection", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const get = async (name: string, ns: string): Promise<Meta> => JSON.parse(await kubectl.ok(["get", "configmap", name, "-n", ns, "-o", "json"]));
  const exists = async (name: string, ns: string) => (await kubectl.run(["get", "configmap", name, "-n", ns])).code === 0;
  const own = async (dependent: string, owners: string[], ns: string, block = true) => {
    const refs = [];
    for (const o of owners) refs.push({ apiVersion: "v1", kind: "ConfigMap", name: o, uid: (await get(o, ns)).metadata.uid, blockOwnerDeletion: block });
    await kubectl.ok(["patch", "configmap", dependent, "-n", ns, "--type=merge", "-p", JSON.stringify({ metadata: { ownerReferences: refs } })]);
  };
  before(async () => {
    server = await startServer({ simNodes: 1 });
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("completes a foreground deletion through an ownership cycle", async () => {
    await kubectl.ok(["create", "namespace", "gc-cycle"]);
    for (const n of ["one", "two", "three"]) await kubectl.ok(["create", "configmap", n, "-n", "gc-cycle"]);
    await own("one", ["three"], "gc-cycle");
    await own("two", ["one"], "gc-cycle");
    await own("three", ["two"], "gc-cycle");
    await kubectl.ok(["delete", "configmap", "one", "-n", "gc-cycle", "--cascade=foreground", "--wait=false"]);
    await eventually(async () => !(await exists("one", "gc-cycle")) && !(await exists("two", "gc-cycle")) && !(await exists("three", "gc-cycle")), 60_000);
  });

  it("releases a dependent that another owner still holds, and deletes the owner in the foreground", async () => {
    await kubectl.ok(["create", "namespace", "gc-shared"]);
    for (const n of ["leaving", "staying", "shared", "only-leaving"]) await kubectl.ok(["create", "configmap", n, "-n", "gc-shared"]);
    await own("shared", ["leaving", "staying"], "gc-shared");
    await own("only-leaving", ["leaving"], "gc-shared");
    await kubectl.ok(["delete", "configmap", "leaving", "-n", "gc-shared", "--cascade=foreground", "--wait=false"]);
    await eventually(async () => !(await exists("leaving", "gc-shared")), 60_000);
    assert.equal(await exists("only-leaving", "gc-shared"), false, "a dependent of the deleted owner alone goes with it");
    const shared = await get("shared", "gc-shared");
    assert.deepEqual(shared.metadata.ownerReferences?.map((r) => r.name), ["staying"]);
  });
});
