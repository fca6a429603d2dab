/**
 * NodeRestriction, as upstream's plugin/pkg/admission/noderestriction: what
 * the Node authorizer cannot tell from a request's path, it tells from the
 * objects. A node (`system:node:<name>` in `system:nodes`) may create only
 * mirror pods bound to itself, update the status and evict or delete only
 * pods bound to itself, write only its own Node (never its taints after
 * registration, never labels outside the kubelet's set), only its own Lease
 * and CSINode, only the status of claims, and ask for service-account tokens
 * only bound to a pod on itself. Other users pass untouched.
 *
 * Upstream's v1.32 plugin does not look at CertificateSigningRequests: a
 * node's client CSRs are kept in check by the approver (selfnodeclient is
 * approved only when the requester is the subject).
 */
import type { Node, PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import { notFound } from "../../../api/errors.js";
import { jsonEqual } from "../../../api/json-equal.js";
import { isObject } from "../../../api/json.js";
import type { Kube } from "../../../api/kube-object.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../admission.js";
import { nodeIdentity } from "../../authorization/node/node-authorizer.js";
import { podConfigMapNames, podSecretNames } from "../../../api/pod-references.js";
import { admissionForbidden } from "./forbidden.js";

type Maybe<T> = T | undefined | Promise<T | undefined>;

export interface NodeRestrictionOptions {
  /** A pod as stored (from an informer's cache, ideally). */
  getPod(namespace: string, name: string): Maybe<Pod>;
  /** A node as stored. */
  getNode(name: string): Maybe<Node>;
}

export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/** The labels a kubelet may set on its Node in the kubernetes.io and k8s.io namespaces (upstream's kubeletapis.IsKubeletLabel). */
const KUBELET_LABELS = new Set([
  "kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
  "beta.kubernetes.io/os", "beta.kubernetes.io/arch", "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
]);
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

const labelNamespace = (key: string) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");
const inNamespace = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** The label keys that differ between two label sets. */
function modifiedLabels(a: Record<string, string> = {}, b: Record<string, string> = {}): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]);
}

/** The modified labels a node may not set: node-restriction.kubernetes.io/ ones, and kubernetes.io or k8s.io ones outside the kubelet's set. */
export function forbiddenNodeLabels(modified: string[]): string[] {
  return modified.filter((key) => {
    const ns = labelNamespace(key);
    if (inNamespace(ns, "node-restriction.kubernetes.io")) return true;
    return (inNamespace(ns, "kubernetes.io") || inNamespace(ns, "k8s.io")) && !isKubeletLabel(key);
  }).sort();
}

export class NodeRestriction implements AdmissionPlugin {
  readonly name = "NodeRestriction";

  constructor(private readonly options: NodeRestrictionOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation === "CONNECT") return;
    const { isNode, nodeName } = nodeIdentity(a.user);
    if (!isNode) return;
    if (!nodeName) throw admissionForbidden(a, `could not determine node from user "${a.user.username}"`);
    const core = a.info.group === "";
    if (core && a.info.resource === "pods") {
      if (a.subresource === "") return this.admitPod(nodeName, a);
      if (a.subresource === "status") return admitPodStatus(nodeName, a);
      if (a.subresource === "eviction") return this.admitEviction(nodeName, a);
      throw admissionForbidden(a, `unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
    }
    if (core && a.info.resource === "nodes") return admitNode(nodeName, a);
    if (core && a.info.resource === "persistentvolumeclaims") {
      if (a.subresource === "status") return admitClaimStatus(nodeName, a);
      throw admissionForbidden(a, "may only update PVC status");
    }
    if (core && a.info.resource === "serviceaccounts") return this.admitServiceAccount(nodeName, a);
    if (a.info.group === "coordination.k8s.io" && a.info.resource === "leases") return admitLease(nodeName, a);
    if (a.info.group === "storage.k8s.io" && a.info.resource === "csinodes") return admitOwnNamed(nodeName, a, "can only access CSINode with the same name as the requesting node");
  }

  private async admitPod(nodeName: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation === "CREATE") return this.admitMirrorPod(nodeName, a);
    if (a.operation === "DELETE") {
      const existing = (a.oldObject ?? await this.options.getPod(a.namespace, a.name)) as Pod | undefined;
      if (!existing) throw notFound("pods", "", a.name);
      if (existing.spec?.nodeName !== nodeName) throw admissionForbidden(a, `node "${nodeName}" can only delete pods with spec.nodeName set to itself`);
      return;
    }
    throw admissionForbidden(a, `unexpected operation "${a.operation}", node "${nodeName}" can only create and delete mirror pods`);
  }

  private async admitMirrorPod(nodeName: string, a: AdmissionAttributes): Promise<void> {
    const pod = a.object as Pod;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      throw admissionForbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${nodeName}" can only create mirror pods`);
    }
    if (pod.spec?.nodeName !== nodeName) throw admissionForbidden(a, `node "${nodeName}" can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) throw admissionForbidden(a, `node "${nodeName}" can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (!owner || owner.apiVersion !== "v1" || owner.kind !== "Node" || owner.name !== nodeName) {
      throw admissionForbidden(a, `node "${nodeName}" can only create pods with an owner reference set to itself`);
    }
    if (!owner.controller) throw admissionForbidden(a, `node "${nodeName}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion) throw admissionForbidden(a, `node "${nodeName}" must not set blockOwnerDeletion on an owner reference`);
    const node = await this.options.getNode(nodeName);
    if (!node) throw notFound("nodes", "", nodeName);
    if (owner.uid !== node.metadata?.uid) throw admissionForbidden(a, `node ${nodeName} UID mismatch: expected ${owner.uid} got ${node.metadata?.uid}`);
    // A mirror pod may not reach objects through the node authorizer's graph.
    if (pod.spec?.serviceAccountName) throw admissionForbidden(a, `node "${nodeName}" can not create pods that reference a service account`);
    if (podSecretNames(pod).length) throw admissionForbidden(a, `node "${nodeName}" can not create pods that reference secrets`);
    if (podConfigMapNames(pod).length) throw admissionForbidden(a, `node "${nodeName}" can not create pods that reference configmaps`);
    for (const v of pod.spec?.volumes ?? []) {
      if ((v.projected?.sources ?? []).some((s) => (s as Record<string, unknown>).clusterTrustBundle)) {
        throw admissionForbidden(a, `node "${nodeName}" can not create pods that reference clustertrustbundles`);
      }
    }
    if ((pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim)) {
      throw admissionForbidden(a, `node "${nodeName}" can not create pods that reference persistentvolumeclaims`);
    }
  }

  private async admitEviction(nodeName: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE") throw admissionForbidden(a, `unexpected operation ${a.operation}`);
    const podName = a.name || String(a.object?.metadata?.name ?? "");
    if (!podName) throw admissionForbidden(a, "could not determine pod from request data");
    const pod = await this.options.getPod(a.namespace, podName);
    if (!pod) throw notFound("pods", "", podName);
    if (pod.spec?.nodeName !== nodeName) throw admissionForbidden(a, `node ${nodeName} can only evict pods with spec.nodeName set to itself`);
  }

  private async admitServiceAccount(nodeName: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" || a.subresource !== "token") return;
    const ref = (a.object as Kube<TokenRequest>).spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== "v1" || ref.kind !== "Pod" || !ref.name) throw admissionForbidden(a, "node requested token not bound to a pod");
    if (!ref.uid) throw admissionForbidden(a, "node requested token with a pod binding without a uid");
    const pod = await this.options.getPod(a.namespace, ref.name);
    if (!pod) throw notFound("pods", "", ref.name);
    if (ref.uid !== pod.metadata?.uid) {
      throw admissionForbidden(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (pod.spec?.nodeName !== nodeName) throw admissionForbidden(a, "node requested token bound to a pod scheduled on a different node");
  }
}

function admitPodStatus(nodeName: string, a: AdmissionAttributes): void {
  if (a.operation !== "UPDATE") throw admissionForbidden(a, `unexpected operation "${a.operation}"`);
  const old = a.oldObject as Pod;
  const pod = a.object as Pod;
  if (old?.spec?.nodeName !== nodeName) throw admissionForbidden(a, `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`);
  if (!jsonEqual(old.metadata?.labels ?? {}, pod.metadata?.labels ?? {})) throw admissionForbidden(a, `node "${nodeName}" cannot update labels through pod status`);
  const claims = (p: Pod) => (p.status?.resourceClaimStatuses ?? []).map((c) => [c.name, c.resourceClaimName ?? null]);
  if (!jsonEqual(claims(old), claims(pod))) throw admissionForbidden(a, `node "${nodeName}" cannot update resource claim statues`);
}

function admitNode(nodeName: string, a: AdmissionAttributes): void {
  const requested = a.name || String(a.object?.metadata?.name ?? "");
  if (requested !== nodeName) throw admissionForbidden(a, `node "${nodeName}" is not allowed to modify node "${requested}"`);
  const node = a.object as Node;
  if (a.operation === "CREATE") {
    if (node.spec?.configSource) throw admissionForbidden(a, `node "${nodeName}" is not allowed to create pods with a non-nil configSource`);
    const forbidden = forbiddenNodeLabels(modifiedLabels(node.metadata?.labels, undefined));
    if (forbidden.length) throw admissionForbidden(a, `node "${nodeName}" is not allowed to set the following labels: ${forbidden.join(", ")}`);
  }
  if (a.operation === "UPDATE") {
    const old = a.oldObject as Node;
    if (node.spec?.configSource && !jsonEqual(node.spec.configSource, old?.spec?.configSource)) {
      throw admissionForbidden(a, `node "${nodeName}" is not allowed to update configSource to a new non-nil configSource`);
    }
    // Removing or changing its taints would let a node draw workloads meant to stay off it.
    if (!jsonEqual(emptyToUndefined(node.spec?.taints), emptyToUndefined(old?.spec?.taints))) throw admissionForbidden(a, `node "${nodeName}" is not allowed to modify taints`);
    const forbidden = forbiddenNodeLabels(modifiedLabels(node.metadata?.labels, old?.metadata?.labels));
    if (forbidden.length) throw admissionForbidden(a, `is not allowed to modify labels: ${forbidden.join(", ")}`);
  }
}

/** Semantic equality, as upstream's: an empty list is the same as none. */
const emptyToUndefined = <T>(list: T[] | undefined) => (list?.length ? list : undefined);

function admitClaimStatus(nodeName: string, a: AdmissionAttributes): void {
  if (a.operation !== "UPDATE") throw admissionForbidden(a, `unexpected operation "${a.operation}"`);
  // What a node may change: capacity, conditions and the allocation fields of volume expansion (RecoverVolumeExpansionFailure is on in v1.32).
  const comparable = (c: PersistentVolumeClaim | undefined): AdmissionObject => {
    const copy = structuredClone(c ?? {}) as AdmissionObject;
    if (copy.metadata) { delete copy.metadata.resourceVersion; delete copy.metadata.managedFields; }
    if (copy.status) {
      for (const k of ["capacity", "conditions", "allocatedResourceStatuses", "allocatedResources"]) if (isObject(copy.status)) delete copy.status[k];
    }
    return copy;
  };
  const before = comparable(a.oldObject as PersistentVolumeClaim);
  const after = comparable(a.object as PersistentVolumeClaim);
  if (!jsonEqual(before, after)) {
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !jsonEqual(before[k], after[k]));
    throw admissionForbidden(a, `node "${nodeName}" is not allowed to update fields other than status.capacity and status.conditions: ${changed.join(", ")} changed`);
  }
}

function admitLease(nodeName: string, a: AdmissionAttributes): void {
  if (a.namespace !== "kube-node-lease") throw admissionForbidden(a, `can only access leases in the "kube-node-lease" system namespace`);
  admitOwnNamed(nodeName, a, "can only access node lease with the same name as the requesting node");
}

/** Objects named after their node (Lease, CSINode): on create the name is the body's. */
function admitOwnNamed(nodeName: string, a: AdmissionAttributes, why: string): void {
  const name = a.operation === "CREATE" ? String(a.object?.metadata?.name ?? "") : a.name;
  if (name !== nodeName) throw admissionForbidden(a, why);
}
