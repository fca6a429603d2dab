/** The Node authorizer: the graph, how it follows the caches, and the authorizer that reads it. */
export { NodeGraph } from "./graph.js";
export { followNodeGraph, type NodeGraphSources } from "./graph-populator.js";
export { NodeAuthorizer, nodeIdentity } from "./node-authorizer.js";
export { NODE_RULES, rulesAllow } from "./node-rules.js";
