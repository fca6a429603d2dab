/**
 * events.k8s.io/v1 Events are core/v1 Events in storage, as upstream keeps
 * them (one registry, two APIs): the newer API renames some fields
 * (regarding, note, reportingController) and keeps the older ones under
 * `deprecated*` names. Both ways lose nothing, so an event written through
 * either API reads back through the other.
 */
import type { Event as CoreEvent } from "kubernetes-types/core/v1.js";
import type { Event as EventsEvent } from "kubernetes-types/events/v1.js";
import type { Obj } from "../../object-store.js";
import type { VersionConversion } from "../../strategy.js";

/** events.k8s.io/v1's field name for each core/v1 field that is named otherwise. */
const RENAMED = {
  involvedObject: "regarding",
  message: "note",
  reportingComponent: "reportingController",
  source: "deprecatedSource",
  firstTimestamp: "deprecatedFirstTimestamp",
  lastTimestamp: "deprecatedLastTimestamp",
  count: "deprecatedCount",
} as const satisfies Partial<Record<keyof CoreEvent, keyof EventsEvent>>;

/** The same for field selectors: events.k8s.io's labels and the stored core fields they read. */
export const FIELD_LABELS: Record<string, string> = {
  "regarding.kind": "involvedObject.kind",
  "regarding.namespace": "involvedObject.namespace",
  "regarding.name": "involvedObject.name",
  "regarding.uid": "involvedObject.uid",
  "regarding.apiVersion": "involvedObject.apiVersion",
  "regarding.resourceVersion": "involvedObject.resourceVersion",
  "regarding.fieldPath": "involvedObject.fieldPath",
  reportingController: "reportingComponent",
};

function rename(obj: Obj, pairs: [string, string][], apiVersion: string): Obj {
  const out: Obj = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

export const eventsV1: VersionConversion = {
  toStorage: (o) => rename(o, Object.entries(RENAMED).map(([core, events]) => [events, core]), "v1"),
  fromStorage: (o) => rename(o, Object.entries(RENAMED), "events.k8s.io/v1"),
};
