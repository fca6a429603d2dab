/**
 * The addresses simulated nodes give pods, as kubectl shows them: never the
 * same one to two pods, each out of its node's pod CIDR, freed when a pod
 * goes, and still unique after the server (and with it the simulated
 * kubelets) restarts over pods that already hold addresses.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer } from "../../helpers/skiff-server.js";

interface PodJson { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string; podIP?: string } }

describe("pod addresses on simulated nodes", () => {
  it("never hands one address to two pods, across deletions and a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "skiff-test-"));
    try {
      const start = async () => {
        const server = await startServer({ simNodes: 2, dataDir });
        const kubectl = kubectlFor(server.kubeconfig);
        await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 2, 30_000);
        return { server, kubectl };
      };
      let { server, kubectl } = await start();
      const live = async (): Promise<PodJson[]> => (JSON.parse(await kubectl.ok(["get", "pods", "-l", "app=many", "-o", "json"])).items as PodJson[])
        .filter((p) => p.status.phase === "Running" && !p.metadata.deletionTimestamp);
      const assertUnique = async (want: number) => {
        const pods = (await eventually(async () => { const p = await live(); return p.length === want ? p : undefined; }, 60_000, 250))!;
        const ips = pods.map((p) => p.status.podIP!);
        assert.equal(new Set(ips).size, want, `every pod its own address: ${ips.sort().join(" ")}`);
        const cidrs = new Map<string, string>(JSON.parse(await kubectl.ok(["get", "nodes", "-o", "json"])).items.map((n: { metadata: { name: string }; spec: { podCIDR: string } }) => [n.metadata.name, n.spec.podCIDR]));
        for (const p of pods) assert.ok(p.status.podIP!.startsWith(cidrs.get(p.spec.nodeName!)!.replace(/\.0\/24$/, ".")), `${p.metadata.name} ${p.status.podIP} in ${cidrs.get(p.spec.nodeName!)}`);
        return new Map(pods.map((p) => [p.metadata.name, p.status.podIP!]));
      };

      await kubectl.ok(["create", "deployment", "many", "--image=busybox", "--replicas=30"]);
      await kubectl.ok(["rollout", "status", "deployment/many", "--timeout=90s"]);
      const first = await assertUnique(30);

      // Pods replaced: their addresses are free again, and no live pod shares one.
      const victims = [...first.keys()].slice(0, 10);
      await kubectl.ok(["delete", "pod", ...victims]);
      await assertUnique(30);

      await server.stop();
      ({ server, kubectl } = await start());
      const before = await assertUnique(30);
      await kubectl.ok(["scale", "deployment/many", "--replicas=40"]);
      await kubectl.ok(["rollout", "status", "deployment/many", "--timeout=90s"]);
      const after = await assertUnique(40);
      for (const [name, ip] of before) assert.equal(after.get(name), ip, `${name} kept its address over the restart`);
      await server.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
