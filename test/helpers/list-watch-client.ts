/**
 * For unit tests of components built on informers: a client that answers
 * lists and holds watches open without an API server.
 */
import type { Client, ResourceRef } from "../../src/client/index.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON

type Event = { type: "ADDED" | "MODIFIED" | "DELETED"; object: Json };

/**
 * A client whose lists answer from `objects` (by resource name) and whose
 * watches stay open until aborted; `emit` delivers a watch event to the
 * informers of that resource, as the API server would.
 */
export function listWatchClient(objects: Record<string, Json[]>): { client: Client; emit(resource: string, e: Event): void } {
  const watchers = new Map<string, (e: Event) => void>();
  const client = {
    list: async (r: ResourceRef) => ({ kind: "List", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: structuredClone(objects[r.resource] ?? []) }),
    watch: (r: ResourceRef, _ns: unknown, _params: unknown, onEvent: (e: Event) => void, signal?: AbortSignal) => {
      watchers.set(r.resource, onEvent);
      return new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
    },
  };
  return { client: client as unknown as Client, emit: (resource, e) => watchers.get(resource)!(e) };
}
