/**
 * A crash (kill -9) of the server during a burst of writes loses no write that
 * was acknowledged, on SQLite and on etcd, and a restart resumes with growing
 * resourceVersions.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { Client, loadKubeconfig } from "../../../src/client/index.js";
import { startServer } from "../../helpers/skiff-server.js";

const configmaps = { group: "", version: "v1", resource: "configmaps", namespaced: true };

async function burstThenCrash(datastoreEndpoint?: string): Promise<void> {
  const first = await startServer({ datastoreEndpoint, keepDataDir: true });
  const namespace = `crash-${Date.now()}`;
  const client = new Client(loadKubeconfig(first.kubeconfig));
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: namespace } });
  const acknowledged = new Map<string, string>();
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `cm-${w}-${i}`;
      try {
        const created = await client.create(configmaps, namespace, { metadata: { name }, data: { i: String(i) } });
        acknowledged.set(name, created.metadata.resourceVersion!);
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = Array.from({ length: 16 }, (_, w) => writer(w));
  // Crash mid-burst once enough writes are in, however fast this machine is today.
  const deadline = Date.now() + 30_000;
  while (acknowledged.size < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await first.kill();
  stop = true;
  await Promise.all(writers);
  client.close();
  assert.ok(acknowledged.size > 50, `only ${acknowledged.size} writes were acknowledged before the crash`);

  const second = await startServer({ datastoreEndpoint, dataDir: first.dataDir });
  const again = new Client(loadKubeconfig(second.kubeconfig));
  try {
    const list = await again.list(configmaps, namespace);
    const present = new Set(list.items.map((i) => i.metadata.name));
    const lost = [...acknowledged.keys()].filter((n) => !present.has(n));
    assert.deepEqual(lost, [], `${lost.length} acknowledged writes were lost`);
    const maxAcked = Math.max(...[...acknowledged.values()].map(Number));
    const next = await again.create(configmaps, namespace, { metadata: { name: "after-restart" } });
    assert.ok(Number(next.metadata.resourceVersion) > maxAcked, "resourceVersions keep growing after a restart");
  } finally {
    again.close();
    await second[Symbol.asyncDispose]();
    rmSync(first.dataDir, { recursive: true, force: true });
  }
}

describe("crash recovery", () => {
  it("SQLite keeps every acknowledged write across kill -9", () => burstThenCrash());
  it("etcd keeps every acknowledged write across kill -9", { skip: process.env.SKIFF_TEST_ETCD ? false : "SKIFF_TEST_ETCD is not set" }, () => burstThenCrash(process.env.SKIFF_TEST_ETCD));
  it("a restarted server finds its own kube-dns Service and keeps it, with no error", async () => {
    const first = await startServer({ keepDataDir: true });
    const services = { group: "", version: "v1", resource: "services", namespaced: true };
    try {
      const client = new Client(loadKubeconfig(first.kubeconfig));
      const dnsService = async (c: Client) => {
        for (let i = 0; i < 100; i++) {
          const svc = await c.get(services, "kube-system", "kube-dns").catch(() => undefined);
          if (svc) return svc;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("no kube-dns Service");
      };
      const made = await dnsService(client);
      await first.stop();
      await using second = await startServer({ dataDir: first.dataDir });
      const kept = await dnsService(new Client(loadKubeconfig(second.kubeconfig)));
      assert.equal(kept.metadata.uid, made.metadata.uid);
      await new Promise((r) => setTimeout(r, 1500));
      assert.doesNotMatch(second.stderr(), /kube-dns Service failed/);
    } finally {
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
