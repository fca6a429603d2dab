/**
 * The Node authorizer, as upstream's (plugin/pkg/auth/authorizer/node):
 * requests of `system:node:<name>` in `system:nodes` may read Secrets,
 * ConfigMaps, PVCs and PVs, and ask for service-account tokens, only for
 * objects that a pod bound to that node uses (the graph); may use only their
 * own Lease; and for everything else have the `system:node` ClusterRole's
 * rules. Anything else is NoOpinion (RBAC decides next), never Deny, as upstream.
 *
 * Nodes and pods are authorized by the static rules, as upstream with its
 * AuthorizeNodeWithSelectors gate off: the field selector a kubelet lists
 * its pods with is not among the request attributes here.
 */
import { NODE_USER_PREFIX, NODES_GROUP, type UserInfo } from "../../authentication/user-info.js";
import type { Attributes, Authorizer, AuthorizerResult } from "../authorizer.js";
import type { NodeGraph, VertexType } from "./graph.js";
import { NODE_RULES, rulesAllow } from "./node-rules.js";

const allow: AuthorizerResult = { decision: "Allow", reason: "" };
const noOpinion = (reason = ""): AuthorizerResult => ({ decision: "NoOpinion", reason });

/** The node a user is, as upstream's nodeidentifier: isNode with an empty name is a node that cannot be told apart. */
export function nodeIdentity(user: UserInfo): { isNode: boolean; nodeName: string } {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return { isNode: false, nodeName: "" };
  return { isNode: true, nodeName: user.username.slice(NODE_USER_PREFIX.length) };
}

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly graph: NodeGraph, private readonly rules = NODE_RULES) {}

  authorize(attrs: Attributes): AuthorizerResult {
    const { isNode, nodeName } = nodeIdentity(attrs.user);
    if (!isNode) return noOpinion();
    if (!nodeName) return noOpinion(`unknown node for user "${attrs.user.username}"`);
    if (attrs.resourceRequest) {
      const decided = this.subdivided(nodeName, attrs);
      if (decided) return decided;
    }
    return rulesAllow(attrs, this.rules) ? allow : noOpinion();
  }

  /** The resources whose access depends on the node; undefined for the rest. */
  private subdivided(node: string, attrs: Attributes): AuthorizerResult | undefined {
    const core = attrs.apiGroup === "";
    if (core && attrs.resource === "secrets") return this.readNamespaced(node, "secret", attrs);
    if (core && attrs.resource === "configmaps") return this.readNamespaced(node, "configmap", attrs);
    if (core && attrs.resource === "persistentvolumeclaims") {
      return attrs.subresource === "status" ? this.statusUpdate(node, "persistentvolumeclaim", attrs) : this.get(node, "persistentvolumeclaim", attrs);
    }
    if (core && attrs.resource === "persistentvolumes") return this.get(node, "persistentvolume", attrs);
    if (core && attrs.resource === "serviceaccounts") return this.createToken(node, attrs);
    if (attrs.apiGroup === "coordination.k8s.io" && attrs.resource === "leases") return this.lease(node, attrs);
    if (attrs.apiGroup === "storage.k8s.io" && attrs.resource === "csinodes") return this.csiNode(node, attrs);
    return undefined;
  }

  private statusUpdate(node: string, type: VertexType, attrs: Attributes): AuthorizerResult {
    if (attrs.verb !== "update" && attrs.verb !== "patch") return noOpinion("can only get/update/patch this type");
    return this.related(node, type, attrs);
  }

  private get(node: string, type: VertexType, attrs: Attributes): AuthorizerResult {
    if (attrs.verb !== "get") return noOpinion("can only get individual resources of this type");
    if (attrs.subresource) return noOpinion("cannot get subresource");
    return this.related(node, type, attrs);
  }

  private readNamespaced(node: string, type: VertexType, attrs: Attributes): AuthorizerResult {
    if (!["get", "list", "watch"].includes(attrs.verb)) return noOpinion("can only read resources of this type");
    if (attrs.subresource) return noOpinion("cannot read subresource");
    if (!attrs.namespace) return noOpinion("can only read namespaced object of this type");
    return this.related(node, type, attrs);
  }

  private related(node: string, type: VertexType, attrs: Attributes): AuthorizerResult {
    if (!attrs.name) return noOpinion("No Object name found");
    return this.graph.hasPathFrom(node, type, attrs.namespace, attrs.name) ? allow : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private createToken(node: string, attrs: Attributes): AuthorizerResult {
    if (attrs.verb !== "create" || !attrs.name) return noOpinion("can only create tokens for individual service accounts");
    if (attrs.subresource !== "token") return noOpinion("can only create token subresource of serviceaccount");
    return this.graph.hasPathFrom(node, "serviceaccount", attrs.namespace, attrs.name) ? allow : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private lease(node: string, attrs: Attributes): AuthorizerResult {
    if (!["get", "create", "update", "patch", "delete"].includes(attrs.verb)) return noOpinion("can only get, create, update, patch, or delete a node lease");
    if (attrs.namespace !== "kube-node-lease") return noOpinion(`can only access leases in the "kube-node-lease" system namespace`);
    // A create's name is in its body: NodeRestriction checks it.
    if (attrs.verb !== "create" && attrs.name !== node) return noOpinion("can only access node lease with the same name as the requesting node");
    return allow;
  }

  private csiNode(node: string, attrs: Attributes): AuthorizerResult {
    if (!["get", "create", "update", "patch", "delete"].includes(attrs.verb)) return noOpinion("can only get, create, update, patch, or delete a CSINode");
    if (attrs.subresource) return noOpinion("cannot authorize CSINode subresources");
    if (attrs.verb !== "create" && attrs.name !== node) return noOpinion("can only access CSINode with the same name as the requesting node");
    return allow;
  }
}
