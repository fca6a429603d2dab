/**
 * The Service proxy (kube-proxy's role): nftables, iptables and user-space
 * proxiers of one node, and ServiceLB, the server's LoadBalancer add-on.
 */
export { NftablesProxier, TABLE, nftAvailable, cleanupProxyRules } from "./nftables-proxier.js";
export { IptablesProxier, iptablesAvailable, cleanupIptablesRules } from "./iptables-proxier.js";
export { UserspaceProxier, loopbackAlias } from "./userspace-proxier.js";
export { ServiceLB } from "./service-lb.js";
export { ProxyMetrics, type ProxyMode } from "./proxy-metrics.js";
