/**
 * Node IPAM (upstream's range allocator): every node without a pod CIDR gets
 * the next free /24 of the cluster CIDR (10.244.0.0/16 by default), which its
 * kubelet turns into the node's pod network.
 */
import { Resources, type Informer } from "../../client/index.js";
import type { Controller, ControllerContext, Kube } from "../controller.js";
import type { Node } from "kubernetes-types/core/v1.js";

export class NodeIpamController implements Controller {
  readonly name = "nodeipam";
  private ctx!: ControllerContext;
  private nodes!: Informer<Kube<Node>>;
  private readonly base: number[];
  private readonly count: number;

  constructor(clusterCIDR = "10.244.0.0/16", private readonly maskSize = 24) {
    const [addr, bits] = clusterCIDR.split("/");
    this.base = addr!.split(".").map(Number);
    this.count = 2 ** (maskSize - Number(bits));
  }

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.nodes = ctx.informers.informer<Kube<Node>>(Resources.nodes);
    const consider = (n: Kube<Node>) => { if (!n.spec?.podCIDR) void this.allocate().catch((err) => ctx.log("pod CIDR allocation failed", { err: String(err) })); };
    this.nodes.addEventHandler({ add: consider, update: (_o, n) => consider(n) });
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.allocate().catch(() => undefined);
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
  }

  /** The i-th subnet of the cluster CIDR. */
  subnet(i: number): string {
    const size = 2 ** (32 - this.maskSize);
    const start = ((this.base[0]! << 24) | (this.base[1]! << 16) | (this.base[2]! << 8) | this.base[3]!) >>> 0;
    const n = (start + i * size) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${this.maskSize}`;
  }

  private allocating = false;

  private async allocate(): Promise<void> {
    if (this.allocating) return;
    this.allocating = true;
    try {
      const used = new Set(this.nodes.list().map((n) => n.spec?.podCIDR).filter(Boolean));
      let next = 0;
      for (const node of this.nodes.list().sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))) {
        if (node.spec?.podCIDR) continue;
        while (next < this.count && used.has(this.subnet(next))) next++;
        if (next >= this.count) {
          this.ctx.recorder.event({ ...node, kind: "Node", apiVersion: "v1" }, "Warning", "CIDRNotAvailable", `Node ${node.metadata.name} status is now: CIDRNotAvailable`);
          return;
        }
        const cidr = this.subnet(next);
        used.add(cidr);
        await this.ctx.client.patch(Resources.nodes, undefined, node.metadata.name!, { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
        this.ctx.log("allocated pod CIDR", { node: node.metadata.name, podCIDR: cidr });
      }
    } finally {
      this.allocating = false;
    }
  }
}
