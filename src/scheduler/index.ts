/**
 * The scheduler's face: the scheduler and its metrics for the commands that run it, and the
 * framework pieces other components judge pods by as the scheduler does — the DaemonSet
 * controller (which nodes should run a daemon pod), the node lifecycle controller (taints a pod
 * tolerates) and the kubelet's admission (host ports, as upstream's kubelet reuses the plugins).
 */
export { Scheduler, type SchedulerOptions } from "./scheduler.js";
export { SchedulerMetrics } from "./metrics.js";
export { NodeInfo } from "./framework.js";
export { NodeAffinity } from "./plugins/node-affinity.js";
export { NodePorts, NodePortsReason } from "./plugins/node-ports.js";
export { TaintToleration, tolerates } from "./plugins/taint-toleration.js";
