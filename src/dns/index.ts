/** Cluster DNS (CoreDNS's role): a node's DNS server and the server's kube-dns Service. */
export { ClusterDns } from "./cluster-dns.js";
export { KubeDnsService, CLUSTER_DNS_ADDRESS_ANNOTATION, CLUSTER_DNS_IP, CLUSTER_DNS_PORT } from "./kube-dns-service.js";
export { DnsMetrics } from "./dns-metrics.js";
