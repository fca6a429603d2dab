/**
 * Events, served as core/v1 and as events.k8s.io/v1 (one strategy for
 * both): recorders write them with a PUT, and select them by what they are about.
 */
import type { Event as CoreEvent } from "kubernetes-types/core/v1.js";
import type { Event as EventsEvent } from "kubernetes-types/events/v1.js";
import { pathSegmentName } from "../../../../api/validation.js";
import type { Stored, Strategy } from "../../strategy.js";

/** An Event read through either API: the two name some fields differently (source and reportingController, involvedObject and regarding). */
export type AnyEvent = Omit<CoreEvent, "apiVersion"> & Omit<EventsEvent, "apiVersion">;

export const eventStrategy: Strategy<Stored<AnyEvent>> = {
  // Recorders name events after their object and a time: any path segment.
  nameValidation: pathSegmentName,
  allowCreateOnUpdate: true,
  fieldValue(field, o) { return field === "source" ? o.source?.component ?? o.reportingController ?? "" : undefined; },
  fieldSelectors: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
};
