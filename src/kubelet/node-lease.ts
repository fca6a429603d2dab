/** The node heartbeat: the node's Lease in kube-node-lease, renewed (or created on first use). */
import { microTime } from "../api/time.js";
import { Resources, type Client } from "../client/index.js";
import { isNotFound } from "../api/errors.js";

export const NODE_LEASE_DURATION_SECONDS = 40;

export async function renewNodeLease(client: Client, nodeName: string): Promise<void> {
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: microTime() };
  try {
    await client.patch(Resources.leases, "kube-node-lease", nodeName, { spec }, "merge");
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(Resources.leases, "kube-node-lease", { metadata: { name: nodeName }, spec });
  }
}
