/**
 * Events through events.k8s.io/v1: the core Event strategy over the same
 * storage, with this API's field names (conversion.ts) and field selectors
 * (upstream's field label conversions: regarding.*, reportingController).
 */
import { eventStrategy, type AnyEvent } from "../../core/events/strategy.js";
import { selectableField, type Stored, type Strategy } from "../../strategy.js";
import { eventsV1, FIELD_LABELS } from "./conversion.js";

export const eventsV1EventStrategy: Strategy<Stored<AnyEvent>> = {
  ...eventStrategy,
  conversions: { v1: eventsV1 },
  // Lists and watches select the object as this API shows it; a reader of the stored (core) object finds the
  // field under core's name. The two shapes share no name among these labels, so this API's comes first.
  fieldValue(field, o) {
    const own = selectableField({}, o, field);
    return own === "" && FIELD_LABELS[field] ? selectableField({}, o, FIELD_LABELS[field]) : own;
  },
  fieldSelectors: [...Object.keys(FIELD_LABELS), "reason", "type"],
};
