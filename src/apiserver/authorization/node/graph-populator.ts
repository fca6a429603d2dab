/**
 * Keeps the Node authorizer's graph following the pods and persistent
 * volumes of the API server's watch caches (upstream's graph_populator, fed
 * by informers): every change replaces what the object contributed. A
 * cache's first list and its relists arrive as the same events. Upstream's
 * graph needs no PVCs: a PV's claimRef is the edge, so a claim cannot point
 * itself at a volume it was not bound to.
 */
import type { PersistentVolume, Pod } from "kubernetes-types/core/v1.js";
import type { Kube, KubeObject } from "../../../api/kube-object.js";
import type { NodeGraph } from "./graph.js";

type Obj = KubeObject;
type ChangeSource = { onChange(handler: (type: "ADDED" | "MODIFIED" | "DELETED", obj: Obj, old: Obj | undefined) => void): void };

/** What the graph follows: WatchCache (src/apiserver/registry/watch-cache.ts) of pods and of persistentvolumes. */
export interface NodeGraphSources { pods: ChangeSource; persistentVolumes: ChangeSource }

export function followNodeGraph(graph: NodeGraph, sources: NodeGraphSources): void {
  sources.pods.onChange((type, pod) => {
    if (type === "DELETED") graph.deletePod(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "");
    else graph.setPod(pod as Kube<Pod>);
  });
  sources.persistentVolumes.onChange((type, pv) => {
    if (type === "DELETED") graph.deletePersistentVolume(pv.metadata?.name ?? "");
    else graph.setPersistentVolume(pv as Kube<PersistentVolume>);
  });
}
