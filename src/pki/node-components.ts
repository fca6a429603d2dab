/**
 * The client identities of the components a Skiff node runs in-process
 * beside its kubelet, where upstream runs them as pods under service
 * accounts: the Service proxy as `system:kube-proxy` (bound to
 * system:node-proxier, as kube-proxy's kubeconfig is upstream) and the cluster
 * DNS as `system:coredns` (bound to CoreDNS's ClusterRole system:coredns).
 * A joined node asks for their certificates itself, as `system:node:NAME`,
 * from the kube-apiserver-client signer; the CSR approver approves exactly
 * these subjects (CN only, no groups, no alternative names) and no other for
 * a node, so holding a node's credential yields these two read-mostly roles
 * and nothing more.
 */
export const NODE_COMPONENT_USERS = {
  proxy: "system:kube-proxy",
  dns: "system:coredns",
} as const;

export type NodeComponent = keyof typeof NODE_COMPONENT_USERS;

/** Whether a user name is one of the node components' identities. */
export function isNodeComponentUser(name: string | undefined): boolean {
  return Object.values(NODE_COMPONENT_USERS).some((u) => u === name);
}
