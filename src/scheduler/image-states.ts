/**
 * The images nodes report in status.images, for ImageLocality: each name's
 * size on a node, and how many nodes have an image of that name, kept up to
 * date as nodes come, change and go (upstream's imageExistenceMap).
 */
import type { Node } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";

export class ImageStates {
  /** image name -> nodes reporting it */
  private readonly nodesWith = new Map<string, number>();
  private readonly parsed = new WeakMap<object, Map<string, number>>();

  /** The node's images under every name it reports them by, with their sizes; parsed once per node object. */
  of(node: Kube<Node>): Map<string, number> {
    let sizes = this.parsed.get(node);
    if (!sizes) {
      sizes = new Map();
      for (const image of node.status?.images ?? []) for (const name of image.names ?? []) sizes.set(name, Number(image.sizeBytes ?? 0));
      this.parsed.set(node, sizes);
    }
    return sizes;
  }

  /** How many nodes have an image by this name. */
  numNodes(name: string): number {
    return this.nodesWith.get(name) ?? 0;
  }

  /** No node reports any image. */
  get empty(): boolean {
    return this.nodesWith.size === 0;
  }

  nodeAdded(node: Kube<Node>): void {
    for (const name of this.of(node).keys()) this.nodesWith.set(name, (this.nodesWith.get(name) ?? 0) + 1);
  }

  nodeRemoved(node: Kube<Node>): void {
    for (const name of this.of(node).keys()) {
      const n = (this.nodesWith.get(name) ?? 0) - 1;
      if (n > 0) this.nodesWith.set(name, n);
      else this.nodesWith.delete(name);
    }
  }
}
