/**
 * The `kube-dns` Service in kube-system at the cluster DNS address, as every
 * cluster has; its endpoint is this node's DNS server, published in an
 * EndpointSlice of its own (the Service has no selector).
 */
import { Resources, type Client, type KubeObject } from "../client/index.js";

export const CLUSTER_DNS_IP = "10.96.0.10";
const SLICE = "kube-dns-skiff";

export async function ensureKubeDnsService(client: Client, nodeName: string, nodeIP: string, port: number): Promise<void> {
  const ports = [{ name: "dns", port: 53, targetPort: port, protocol: "UDP" }, { name: "dns-tcp", port: 53, targetPort: port, protocol: "TCP" }];
  const svc = {
    metadata: { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS" } },
    spec: { clusterIP: CLUSTER_DNS_IP, ports },
  };
  await client.create(Resources.services, "kube-system", svc as KubeObject).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
  const slice = {
    metadata: { name: SLICE, namespace: "kube-system", labels: { "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": "skiff-dns" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [nodeIP], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: ports.map((p) => ({ name: p.name, port, protocol: p.protocol })),
  };
  try {
    const current = await client.get(Resources.endpointslices, "kube-system", SLICE);
    await client.update(Resources.endpointslices, "kube-system", { ...current, ...slice, metadata: { ...current.metadata, ...slice.metadata } } as KubeObject);
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await client.create(Resources.endpointslices, "kube-system", slice as KubeObject);
  }
}
