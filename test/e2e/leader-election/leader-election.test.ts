/**
 * Two controller managers against one API server: one leads; when it is
 * killed, the other takes the Lease over and carries on.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../../src/client/index.js";
import { eventually } from "../../helpers/kubectl.js";
import { repoRoot, startServer } from "../../helpers/skiff-server.js";

it("a second controller manager takes over when the leader dies", async () => {
  await using server = await startServer({ args: ["--disable-controllers"] });
  const client = new Client(loadKubeconfig(server.kubeconfig));
  const managers: ChildProcess[] = [];
  const start = (identity: string) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "controller-manager", "--kubeconfig", server.kubeconfig, "--identity", identity,
      "--leader-elect-lease-duration", "4", "--leader-elect-renew-deadline", "3", "--leader-elect-retry-period", "1", "--secure-port", "0"], { stdio: "ignore" });
    managers.push(child);
    return child;
  };
  const holder = async () => ((await client.get(Resources.leases, "kube-system", "kube-controller-manager").catch(() => undefined)) as (KubeObject & { spec?: { holderIdentity?: string } }) | undefined)?.spec?.holderIdentity;
  const replicaSetsOf = async (name: string) => (await client.list(Resources.replicasets, "default")).items.filter((rs) => rs.metadata.ownerReferences?.[0]?.name === name).length;
  const deployment = (name: string) => ({ metadata: { name }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } });
  try {
    const first = start("first");
    await eventually(async () => (await holder()) === "first", 20_000);
    start("second");
    await client.create(Resources.deployments, "default", deployment("before"));
    await eventually(async () => (await replicaSetsOf("before")) === 1, 60_000);
    assert.equal(await holder(), "first", "the leader keeps its Lease while it lives");

    first.kill("SIGKILL");
    const killedAt = Date.now();
    await eventually(async () => (await holder()) === "second", 20_000, 200);
    assert.ok(Date.now() - killedAt < 15_000, "the other candidate takes over within 15 s");
    await client.create(Resources.deployments, "default", deployment("after"));
    await eventually(async () => (await replicaSetsOf("after")) === 1, 60_000);
    const lease = await client.get<KubeObject & { spec: { leaseTransitions: number } }>(Resources.leases, "kube-system", "kube-controller-manager");
    assert.equal(lease.spec.leaseTransitions, 1);
  } finally {
    for (const m of managers) m.kill("SIGKILL");
    client.close();
  }
});
