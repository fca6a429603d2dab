/**
 * Local multi-node clusters (`skiff cluster`): nodes in network namespaces
 * on one machine, joined as separate machines join.
 */
export { createCluster, deleteCluster, listStates, readState, clusterStatus, type CreateOptions } from "./cluster.js";
export { validateClusterName, type ClusterState, type ClusterNode } from "./topology.js";
