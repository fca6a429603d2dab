/**
 * Events, served as core/v1 and as events.k8s.io/v1 (one strategy for
 * both): recorders write them with a PUT, and select them by what they are about.
 */
import type { Event as CoreEvent } from "kubernetes-types/core/v1.js";
import type { Event as EventsEvent } from "kubernetes-types/events/v1.js";
import { pathSegmentName } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

/** An Event read through either API: the two name some fields differently (source and reportingController, involvedObject and regarding). */
export type AnyEvent = Omit<CoreEvent, "apiVersion"> & Omit<EventsEvent, "apiVersion">;

const eventTable = tablePrinter<Stored<AnyEvent>>(
  [["Last Seen"], ["Type"], ["Reason"], ["Object"], ["Subobject", "string", 1], ["Source", "string", 1], ["Message"], ["First Seen", "string", 1], ["Count", "integer", 1], ["Name", "string", 1]],
  (o, now) => {
    const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    const first = o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    const io = o.involvedObject ?? o.regarding ?? {};
    return [age(last, now), o.type ?? "", o.reason ?? "", `${String(io.kind ?? "").toLowerCase()}/${io.name ?? ""}`, io.fieldPath ?? "", [o.source?.component, o.source?.host].filter(Boolean).join(", "), o.message ?? o.note ?? "", age(first, now), o.count ?? 1, o.metadata.name as string];
  },
);

export const eventStrategy: Strategy<Stored<AnyEvent>> = {
  // Recorders name events after their object and a time: any path segment.
  nameValidation: pathSegmentName,
  allowCreateOnUpdate: true,
  printer: eventTable,
  // Upstream's "source": the older recorders' source.component, else the newer ones' reporting controller.
  fieldValue(field, o) { return field === "source" ? o.source?.component || o.reportingComponent || "" : undefined; },
  fieldSelectors: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
};
