/**
 * What every controller shares: informers to read, a work queue of keys, and a
 * level-triggered reconcile(key) run by workers (CONVENTIONS.md, 6).
 */
import { runWorkers, type QueueMetrics, type Client, type EventRecorder, type Informer, type InformerFactory, type KubeObject, type WorkQueue } from "../client/index.js";
import type { OwnerReference } from "../client/client.js";
import { setTimeout as delay } from "node:timers/promises";
import { rfc3339 } from "../api/time.js";
import type { Pod } from "kubernetes-types/core/v1.js";

/** Kept here too, where the controllers have always imported it from; it lives in the client, which every component may import. */
export type { Kube } from "../client/index.js";

export interface ControllerContext {
  client: Client;
  informers: InformerFactory;
  recorder: EventRecorder;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** The metrics of the controller's work queue, named for it (workqueue_* with its `name`); none without metrics. */
  queueMetrics?: () => QueueMetrics;
}

export interface Controller {
  readonly name: string;
  /** Registers informers and handlers; called before the informers start. */
  init(ctx: ControllerContext): void;
  /** Runs until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
}

export const keyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata.name));

export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

/** The ownerReference with controller: true, if any. */
export function controllerOf(o: KubeObject): { kind: string; name: string; uid: string; apiVersion: string } | undefined {
  const refs = (o.metadata.ownerReferences ?? []) as { kind: string; name: string; uid: string; apiVersion: string; controller?: boolean }[];
  return refs.find((r) => r.controller);
}

export const nowTime = () => rfc3339();

/**
 * Waits ms, or less when signal aborts. The abort listener leaves with the timer: a periodic
 * loop that added one a period would pile up listeners on the leader's signal for as long as
 * the process runs (Node's MaxListenersExceededWarning, and a leak where the limit is lifted).
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

export function isPodReady(p: Pick<Pod, "metadata" | "status">): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(p: Pick<Pod, "metadata" | "status">, minReadySeconds: number, now = Date.now()): boolean {
  const ready = (p.status?.conditions ?? []).find((c) => c.type === "Ready" && c.status === "True");
  if (!ready) return false;
  if (!minReadySeconds) return true;
  return Date.parse(String(ready.lastTransitionTime ?? 0)) + minReadySeconds * 1000 <= now;
}

export function isPodActive(p: Pick<Pod, "metadata" | "status">): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
}

/** The ownerReference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** Enqueues the key of the owning `kind` whenever an object it controls is added, changed or deleted. */
export function enqueueOwner<T extends KubeObject>(informer: Informer<T>, kind: string, queue: WorkQueue): void {
  const owner = (o: T) => {
    const ref = controllerOf(o);
    if (ref?.kind === kind) queue.add(`${o.metadata.namespace}/${ref.name}`);
  };
  informer.addEventHandler({ add: owner, update: (_o, n) => owner(n), delete: owner });
}

/** Runs a controller's workers over its queue until the signal aborts. */
export function runQueue(queue: WorkQueue, signal: AbortSignal, workers: number, sync: (key: string) => Promise<number | void>, ctx: ControllerContext, what: string): Promise<void> {
  signal.addEventListener("abort", () => queue.shutDown());
  const metrics = ctx.queueMetrics?.();
  if (metrics) queue.setMetrics(metrics);
  return runWorkers(queue, workers, sync, (key, err) => ctx.log(`sync ${what} failed`, { key, err: String(err) }));
}
