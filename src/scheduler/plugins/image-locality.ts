import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type CycleState, MAX_NODE_SCORE, type NodeInfo, type ScorePlugin, type Snapshot } from "../framework.js";
import type { ImageStates } from "../image-states.js";

const MB = 1024 * 1024;
/** Images smaller than this earn nothing; one of 1000 MB per container earns the most (upstream's thresholds). */
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** The name as nodes report images: without a tag, `:latest` (upstream's normalizedImageName; no registry is added). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(":") <= name.lastIndexOf("/") ? `${name}:latest` : name;
}

interface State { images: ImageStates; totalNodes: number; names: string[] }

/**
 * ImageLocality: prefers nodes that already have the pod's images, each
 * image's size scaled by the share of nodes that have it, so that a rare
 * image does not pull every pod onto the one node that pulled it first.
 */
export class ImageLocality implements ScorePlugin {
  readonly name = "ImageLocality";
  readonly weight = 1;

  preScore(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState): boolean {
    // With no images reported anywhere every node scores 0: nothing to compute.
    if (!snapshot.images || snapshot.images.empty) return false;
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(String(c.image ?? "")));
    state.set(this.name, { images: snapshot.images, totalNodes: snapshot.nodes().length, names } satisfies State);
    return true;
  }

  score(_pod: Kube<Pod>, node: NodeInfo, state: CycleState): number {
    const s = state.get(this.name) as State | undefined;
    if (!s?.names.length) return 0;
    const sizes = s.images.of(node.node);
    let sum = 0;
    for (const name of s.names) {
      const size = sizes.get(name);
      if (size !== undefined) sum += Math.trunc(size * (s.images.numNodes(name) / s.totalNodes));
    }
    const max = MAX_CONTAINER_THRESHOLD * s.names.length;
    const clamped = Math.min(max, Math.max(MIN_THRESHOLD, sum));
    return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
  }
}
