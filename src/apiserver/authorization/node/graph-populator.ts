/**
 * Keeps the Node authorizer's graph following the pods and persistent
 * volumes in storage (upstream's graph_populator, fed by informers): a list,
 * then a watch from its revision; a broken watch lists again and replaces
 * what the graph knew. Upstream's graph needs no PVCs: a PV's claimRef is the
 * edge, so a claim cannot point itself at a volume it was not bound to.
 */
import type { PersistentVolume, Pod } from "kubernetes-types/core/v1.js";
import type { ResourceInfo } from "../../../api/resources.js";
import type { NodeGraph } from "./graph.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the store hands out free-form JSON
type Obj = Record<string, any>;

/** What the populator needs of ObjectStore (src/apiserver/registry/object-store.ts). */
export interface GraphSource {
  list(info: ResourceInfo, namespace: undefined): Promise<{ items: Obj[]; resourceVersion: string }>;
  watch(info: ResourceInfo, namespace: undefined, sel: { labels: never[]; fields: never[] }, fromRevision: number,
    onEvent: (e: { type: "ADDED" | "MODIFIED" | "DELETED"; object: Obj }) => void, onError: (err: Error) => void): { close(): void };
}

/** What it needs of ResourceCatalog. */
export interface CatalogLookup {
  lookup(group: string, version: string, resource: string): ResourceInfo | undefined;
}

export interface GraphPopulatorOptions {
  source: GraphSource;
  catalog: CatalogLookup;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Pause before listing again after a watch broke. */
  retryMs?: number;
}

/** Starts following pods and PVs into graph; resolves once both first lists are in. */
export async function populateNodeGraph(graph: NodeGraph, options: GraphPopulatorOptions, signal: AbortSignal): Promise<void> {
  const pods = options.catalog.lookup("", "v1", "pods");
  const pvs = options.catalog.lookup("", "v1", "persistentvolumes");
  if (!pods || !pvs) throw new Error("the catalog has no pods or persistentvolumes");
  await Promise.all([
    follow(pods, options, signal, () => graph.clearPods(), (type, o) => {
      if (type === "DELETED") graph.deletePod(o.metadata?.namespace ?? "", o.metadata?.name ?? "");
      else graph.setPod(o as Pod);
    }),
    follow(pvs, options, signal, () => graph.clearPersistentVolumes(), (type, o) => {
      if (type === "DELETED") graph.deletePersistentVolume(o.metadata?.name ?? "");
      else graph.setPersistentVolume(o as PersistentVolume);
    }),
  ]);
}

async function follow(info: ResourceInfo, options: GraphPopulatorOptions, signal: AbortSignal, reset: () => void,
  apply: (type: "ADDED" | "MODIFIED" | "DELETED", o: Obj) => void): Promise<void> {
  const start = async (): Promise<void> => {
    const listed = await options.source.list(info, undefined);
    reset();
    for (const o of listed.items) apply("ADDED", o);
    let broken = false;
    const w = options.source.watch(info, undefined, { labels: [], fields: [] }, Number(listed.resourceVersion),
      (e) => apply(e.type, e.object),
      (err) => {
        if (broken || signal.aborted) return;
        broken = true;
        w.close();
        options.log?.("node authorizer graph: watch broke, listing again", { resource: info.resource, error: err.message });
        setTimeout(() => { if (!signal.aborted) retry(); }, options.retryMs ?? 1000).unref?.();
      });
    signal.addEventListener("abort", () => w.close(), { once: true });
  };
  const retry = () => start().catch((err: Error) => {
    options.log?.("node authorizer graph: list failed", { resource: info.resource, error: err.message });
    setTimeout(() => { if (!signal.aborted) retry(); }, options.retryMs ?? 1000).unref?.();
  });
  await start();
}
