/**
 * The Secrets, ConfigMaps, claims and volumes the kubelet's pods use, each
 * followed by a watch of that one object (upstream's watch-based secret and
 * configmap managers, pkg/kubelet/util/manager): the Node authorizer lets a
 * node read only the objects its pods reference, one by one, never list
 * them all. A pod's references are registered when it is tracked and
 * released when it goes; an object no pod needs is no longer watched.
 */
import type { Pod as PodObject } from "kubernetes-types/core/v1.js";
import { Informer, type Client, type KubeObject, type ResourceRef } from "../client/index.js";
import { podClaimNames, podConfigMapNames, podSecretNames } from "../api/pod-references.js";

interface Watched<T extends KubeObject> { informer: Informer<T>; stop: AbortController; pods: Set<string> }

/** Single-object watches of one resource, shared by the pods that need each object. */
export class ObjectWatchers<T extends KubeObject = KubeObject> {
  private readonly watched = new Map<string, Watched<T>>();
  private readonly byPod = new Map<string, string[]>();

  constructor(private readonly client: Client, private readonly resource: ResourceRef, private readonly onChange: (obj: T) => void, private readonly signal: AbortSignal) {}

  private key(namespace: string | undefined, name: string): string {
    return this.resource.namespaced ? `${namespace}/${name}` : name;
  }

  /** The object, if its watch has seen it; asking starts the watch (for objects found only through another, as a claim's volume). */
  get(namespace: string | undefined, name: string, owner = ""): T | undefined {
    const key = this.key(namespace, name);
    const w = this.watched.get(key) ?? this.watch(key, namespace, name);
    if (owner) w.pods.add(owner);
    return w.informer.get(key);
  }

  /** Sets the objects one pod needs (replacing what it needed before). */
  setPod(podUid: string, refs: [string | undefined, string][]): void {
    const keys = refs.map(([ns, name]) => this.key(ns, name));
    for (const [i, key] of keys.entries()) (this.watched.get(key) ?? this.watch(key, refs[i]![0], refs[i]![1])).pods.add(podUid);
    for (const old of this.byPod.get(podUid) ?? []) if (!keys.includes(old)) this.release(old, podUid);
    this.byPod.set(podUid, keys);
  }

  deletePod(podUid: string): void {
    for (const key of this.byPod.get(podUid) ?? []) this.release(key, podUid);
    this.byPod.delete(podUid);
    for (const [key, w] of this.watched) if (w.pods.delete(podUid) && !w.pods.size) this.release(key, podUid);
  }

  private watch(key: string, namespace: string | undefined, name: string): Watched<T> {
    const informer = new Informer<T>(this.client, this.resource, { namespace: this.resource.namespaced ? namespace : undefined, fieldSelector: `metadata.name=${name}` });
    informer.addEventHandler({ add: (o) => this.onChange(o), update: (_a, o) => this.onChange(o) });
    const stop = new AbortController();
    const abort = () => stop.abort();
    this.signal.addEventListener("abort", abort, { once: true });
    stop.signal.addEventListener("abort", () => this.signal.removeEventListener("abort", abort), { once: true });
    void informer.run(stop.signal).catch(() => undefined);
    const w = { informer, stop, pods: new Set<string>() };
    this.watched.set(key, w);
    return w;
  }

  private release(key: string, podUid: string): void {
    const w = this.watched.get(key);
    if (!w) return;
    w.pods.delete(podUid);
    if (w.pods.size) return;
    w.stop.abort();
    this.watched.delete(key);
  }
}

/** What a pod references, per resource. */
export function podReferences(pod: PodObject): { secrets: string[]; configMaps: string[]; claims: string[] } {
  return { secrets: podSecretNames(pod), configMaps: podConfigMapNames(pod), claims: podClaimNames(pod) };
}
