/**
 * The node as one component: the kubelet over the runtime the machine
 * supports, its HTTPS API, the pod network, the Service proxy, the cluster
 * DNS and (on the server's node) the ingress controller, started together
 * for `skiff agent` and for `skiff server`'s own node; and `skiff killall`'s
 * clean-up of everything a node leaves on the machine.
 */
export { chooseRuntime, networkBackendFlag, proxyMode, startAgent, type AgentClients, type AgentOptions, type ProxyModeChoice, type RunningAgent, type RuntimeChoice } from "./agent.js";
export { cleanupNode } from "./cleanup.js";
export { ServerLoadBalancer, serversFromEndpoints, splitHostPort } from "./server-load-balancer.js";
