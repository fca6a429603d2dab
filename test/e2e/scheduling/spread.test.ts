/**
 * Where the scheduler puts pods on `skiff server --sim-nodes 3`, as a kubectl
 * user sees it: upstream's default scoring spreads a Deployment's replicas
 * over the nodes and keeps them off PreferNoSchedule taints while there is
 * room elsewhere; every pod has an address of its own node's pod CIDR.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

interface PodJson { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string; podIP?: string } }

describe("scheduling with upstream's default scoring", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const running = async (app: string): Promise<PodJson[]> => (await json(["get", "pods", "-l", `app=${app}`])).items.filter((p: PodJson) => p.status.phase === "Running");
  const perNode = (pods: PodJson[]) => {
    const counts = new Map<string, number>();
    for (const p of pods) counts.set(p.spec.nodeName!, (counts.get(p.spec.nodeName!) ?? 0) + 1);
    return counts;
  };

  before(async () => {
    server = await startServer({ simNodes: 3 });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 3, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("puts a 9-replica Deployment 3 pods to a node, each pod with its own address", async () => {
    await kubectl.ok(["create", "deployment", "spread", "--image=nginx", "--replicas=9", "--port=80"]);
    await kubectl.ok(["rollout", "status", "deployment/spread", "--timeout=90s"]);
    const pods = await running("spread");
    assert.equal(pods.length, 9);
    assert.deepEqual([...perNode(pods)].sort(), [["sim-node-0", 3], ["sim-node-1", 3], ["sim-node-2", 3]]);

    const ips = pods.map((p) => p.status.podIP!);
    assert.equal(new Set(ips).size, 9, `no address twice: ${ips.sort().join(" ")}`);
    const cidrs = new Map<string, string>((await json(["get", "nodes"])).items.map((n: { metadata: { name: string }; spec: { podCIDR: string } }) => [n.metadata.name, n.spec.podCIDR]));
    assert.equal(new Set(cidrs.values()).size, 3, "each node has a pod CIDR of its own");
    for (const p of pods) {
      const [net] = cidrs.get(p.spec.nodeName!)!.split("/");
      assert.equal(p.status.podIP!.split(".").slice(0, 3).join("."), net!.split(".").slice(0, 3).join("."), `${p.metadata.name} has an address of ${p.spec.nodeName}'s /24`);
    }

    await kubectl.ok(["expose", "deployment", "spread", "--port=80"]);
    const slice = await eventually(async () => {
      const s = (await json(["get", "endpointslices", "-l", "kubernetes.io/service-name=spread"])).items[0];
      return s?.endpoints?.length === 9 ? s : undefined;
    }, 20_000);
    const addresses = slice.endpoints.map((e: { addresses: string[] }) => e.addresses[0]);
    assert.deepEqual([...new Set(addresses)].sort(), [...ips].sort(), "the EndpointSlice lists every pod once");
    await kubectl.ok(["delete", "service", "spread"]);
    await kubectl.ok(["delete", "deployment", "spread"]);
  });

  it("keeps pods off a node with a PreferNoSchedule taint while the others have room", async () => {
    await kubectl.ok(["taint", "node", "sim-node-0", "skiff.test/avoid=yes:PreferNoSchedule"]);
    try {
      await kubectl.ok(["create", "deployment", "shy", "--image=nginx", "--replicas=4"]);
      await kubectl.ok(["rollout", "status", "deployment/shy", "--timeout=90s"]);
      assert.deepEqual([...perNode(await running("shy"))].sort(), [["sim-node-1", 2], ["sim-node-2", 2]]);
    } finally {
      await kubectl.run(["delete", "deployment", "shy"]);
      await kubectl.ok(["taint", "node", "sim-node-0", "skiff.test/avoid-"]);
    }
  });
});
