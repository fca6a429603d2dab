/**
 * The Node authorizer's graph, as upstream's (plugin/pkg/auth/authorizer/node/graph.go):
 * which objects each node may reach through the pods bound to it.
 *
 *   secret, configmap, pvc, serviceaccount → pod → node
 *   pv → pvc (the PV's claimRef: the binding the PV controller made, not the claim's wish)
 *   secret → pv (the secrets a PV hands to the kubelet)
 *
 * Upstream walks a general graph; here the paths have a fixed shape, so the
 * graph is kept as what each path needs: for every object a pod names, how
 * many pods on each node name it (upstream's destination-edge index, so a
 * ConfigMap that 100,000 pods mount is answered in O(1)), and the PVs' claim
 * and secret edges. Pods and PVs are replaced whole on every event, so an
 * update is "remove what the old version contributed, add the new".
 */
import type { PersistentVolume, Pod } from "kubernetes-types/core/v1.js";
import { podClaimNames, podConfigMapNames, podSecretNames, pvKubeletSecretNames } from "../../../api/pod-references.js";

export type VertexType = "secret" | "configmap" | "persistentvolumeclaim" | "persistentvolume" | "serviceaccount" | "pod";

const vertex = (type: VertexType, namespace: string, name: string) => `${type}/${namespace}/${name}`;

interface PodEdges { node: string; targets: string[] }
interface PvEdges { claim: string; secrets: string[] }

export class NodeGraph {
  /** pod key (namespace/name) → the node it is bound to and the vertices it names. */
  private readonly pods = new Map<string, PodEdges>();
  /** vertex → node → how many pods on that node name it. */
  private readonly reach = new Map<string, Map<string, number>>();
  /** node → how many pods are bound to it (a node with none is unknown to the graph, as upstream's missing node vertex). */
  private readonly nodes = new Map<string, number>();
  private readonly pvs = new Map<string, PvEdges>();
  /** secret vertex → the PVs that hand it to the kubelet. */
  private readonly secretPvs = new Map<string, Set<string>>();

  /** Adds or replaces a pod; a pod not yet scheduled contributes nothing. */
  setPod(pod: Pod): void {
    const ns = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    this.deletePod(ns, name);
    const node = pod.spec?.nodeName;
    if (!node) return;
    const targets = new Set<string>([vertex("pod", ns, name)]);
    if (pod.spec?.serviceAccountName) targets.add(vertex("serviceaccount", ns, pod.spec.serviceAccountName));
    for (const s of podSecretNames(pod)) targets.add(vertex("secret", ns, s));
    for (const c of podConfigMapNames(pod)) targets.add(vertex("configmap", ns, c));
    for (const c of podClaimNames(pod)) targets.add(vertex("persistentvolumeclaim", ns, c));
    const edges = { node, targets: [...targets] };
    this.pods.set(`${ns}/${name}`, edges);
    this.nodes.set(node, (this.nodes.get(node) ?? 0) + 1);
    for (const t of edges.targets) {
      let byNode = this.reach.get(t);
      if (!byNode) this.reach.set(t, (byNode = new Map()));
      byNode.set(node, (byNode.get(node) ?? 0) + 1);
    }
  }

  deletePod(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const edges = this.pods.get(key);
    if (!edges) return;
    this.pods.delete(key);
    decrement(this.nodes, edges.node);
    for (const t of edges.targets) {
      const byNode = this.reach.get(t);
      if (!byNode) continue;
      decrement(byNode, edges.node);
      if (!byNode.size) this.reach.delete(t);
    }
  }

  /** Adds or replaces a PV; one without a claimRef reaches no node. */
  setPersistentVolume(pv: PersistentVolume): void {
    const name = pv.metadata?.name ?? "";
    this.deletePersistentVolume(name);
    const ref = pv.spec?.claimRef;
    if (!ref?.name) return;
    const edges = {
      claim: vertex("persistentvolumeclaim", ref.namespace ?? "", ref.name),
      secrets: [...new Set(pvKubeletSecretNames(pv).map(([ns, s]) => vertex("secret", ns, s)))],
    };
    this.pvs.set(name, edges);
    for (const s of edges.secrets) {
      let set = this.secretPvs.get(s);
      if (!set) this.secretPvs.set(s, (set = new Set()));
      set.add(name);
    }
  }

  deletePersistentVolume(name: string): void {
    const edges = this.pvs.get(name);
    if (!edges) return;
    this.pvs.delete(name);
    for (const s of edges.secrets) {
      const set = this.secretPvs.get(s);
      set?.delete(name);
      if (set && !set.size) this.secretPvs.delete(s);
    }
  }

  /** Forgets every pod (before a relist replaces them). */
  clearPods(): void {
    this.pods.clear();
    this.reach.clear();
    this.nodes.clear();
  }

  clearPersistentVolumes(): void {
    this.pvs.clear();
    this.secretPvs.clear();
  }

  /** Whether the node knows any pod (upstream: its vertex exists). */
  hasNode(node: string): boolean {
    return this.nodes.has(node);
  }

  /** Whether a path leads from the object to the node. */
  hasPathFrom(node: string, type: VertexType, namespace: string, name: string): boolean {
    if (!this.hasNode(node)) return false;
    const key = vertex(type, type === "persistentvolume" ? "" : namespace, name);
    if (this.reaches(key, node)) return true;
    if (type === "persistentvolume") {
      const pv = this.pvs.get(name);
      return !!pv && this.reaches(pv.claim, node);
    }
    if (type === "secret") {
      for (const pv of this.secretPvs.get(key) ?? []) {
        const claim = this.pvs.get(pv)?.claim;
        if (claim && this.reaches(claim, node)) return true;
      }
    }
    return false;
  }

  private reaches(key: string, node: string): boolean {
    return (this.reach.get(key)?.get(node) ?? 0) > 0;
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
