/**
 * Local multi-node clusters (`skiff cluster`): nodes in network namespaces
 * on one machine, joined as separate machines join.
 */
export { createCluster, deleteCluster, listStates, readState, clusterStatus, clusterProcesses, isOurProcess, type CreateOptions } from "./cluster.js";
export { validateClusterName, type ClusterState, type ClusterNode, type ClusterProcess } from "./topology.js";
export { runLoadBalancer, apiServerReady } from "./load-balancer.js";
