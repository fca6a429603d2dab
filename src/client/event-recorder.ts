/**
 * Records core/v1 Events about objects, as client-go's recorder does: one
 * Event per distinct reason and message, its count bumped when it repeats.
 */
import { randomBytes } from "node:crypto";
import type { Client, KubeObject } from "./client.js";
import { Resources } from "./resources.js";
import { rfc3339 } from "../api/time.js";

const now = () => rfc3339();

export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number }>();

  constructor(private readonly client: Client, private readonly component: string, private readonly host?: string) {}

  /** fieldPath names the part of the object, e.g. `spec.containers{web}` for a pod's container. */
  event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string): void {
    void this.record(obj, type, reason, message, fieldPath).catch(() => undefined);
  }

  private async record(obj: KubeObject, type: string, reason: string, message: string, fieldPath?: string): Promise<void> {
    const ns = obj.metadata.namespace || "default";
    const key = `${ns}/${obj.metadata.uid}/${fieldPath ?? ""}/${reason}/${message}`;
    const seen = this.recent.get(key);
    if (seen) {
      seen.count++;
      try {
        await this.client.patch(Resources.events, ns, seen.name, { count: seen.count, lastTimestamp: now() });
        return;
      } catch {
        this.recent.delete(key);
      }
    }
    const name = `${obj.metadata.name}.${randomBytes(8).toString("hex")}`;
    if (this.recent.size > 4096) this.recent.clear();
    this.recent.set(key, { name, count: 1 });
    const t = now();
    await this.client.create(Resources.events, ns, {
      metadata: { name, namespace: ns },
      involvedObject: { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason, message, type, count: 1, firstTimestamp: t, lastTimestamp: t,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component, reportingInstance: this.host ?? "",
    });
  }
}
