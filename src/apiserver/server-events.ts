/**
 * Events that the API server's own controllers (the allocation repair)
 * send, written straight to the registry as its other loopback writes are.
 *
 * The Event's name is derived from what it says (object, reason, message),
 * so that a repeat, from this server or another on the same store, bumps
 * the count of one Event instead of adding one each run, as client-go's
 * recorder aggregates.
 */
import { createHash } from "node:crypto";
import type { Event, ObjectReference } from "kubernetes-types/core/v1.js";
import type { Kube } from "../api/kube-object.js";
import type { ResourceInfo } from "../api/resources.js";
import { rfc3339 } from "../api/time.js";
import type { Obj, ObjectStore } from "./registry/object-store.js";

export interface ServerEvent {
  regarding: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } };
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  action?: string;
  component: string;
}

export class ServerEventRecorder {
  constructor(
    private readonly objects: ObjectStore,
    private readonly events: ResourceInfo,
    /** The server's identity, upstream's reportingInstance. */
    private readonly instance: string,
    private readonly log?: (msg: string, fields?: Record<string, unknown>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fire and forget: an Event that cannot be written is logged, never an error of the caller. */
  record(e: ServerEvent): void {
    void this.write(e).catch((err) => this.log?.("event not recorded", { reason: e.reason, object: e.regarding.metadata?.name, err: String(err) }));
  }

  async write(e: ServerEvent): Promise<void> {
    const m = e.regarding.metadata ?? {};
    const namespace = m.namespace || "default";
    const digest = createHash("sha256").update([m.uid, e.component, e.reason, e.message].join("\n")).digest("hex").slice(0, 16);
    const name = `${m.name}.${digest}`;
    const t = rfc3339(this.now());
    const involvedObject: ObjectReference = { apiVersion: e.regarding.apiVersion ?? "v1", kind: e.regarding.kind, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
    await this.objects.guaranteedUpdate(this.events, namespace, name, (cur) => {
      // No resourceVersion: a bump that loses its swap to another server's is retried, not a 409.
      if (cur) return { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, count: ((cur as Kube<Event>).count ?? 1) + 1, lastTimestamp: t };
      const event: Event = {
        metadata: { name, namespace }, involvedObject, type: e.type, reason: e.reason, message: e.message, count: 1,
        firstTimestamp: t, lastTimestamp: t, source: { component: e.component },
        reportingComponent: e.component, reportingInstance: `${e.component}-${this.instance}`, ...(e.action ? { action: e.action } : {}),
      };
      return event as Kube<Event>;
    }, { allowCreate: true, fieldManager: e.component });
  }
}
