/**
 * Events through events.k8s.io/v1: the core Event strategy over the same
 * storage, with this API's field names (conversion.ts) and field selectors.
 */
import { eventStrategy, type AnyEvent } from "../../core/events/strategy.js";
import { selectableField, type Stored, type Strategy } from "../../strategy.js";
import { eventsV1, FIELD_LABELS } from "./conversion.js";

export const eventsV1EventStrategy: Strategy<Stored<AnyEvent>> = {
  ...eventStrategy,
  conversions: { v1: eventsV1 },
  // Selection reads the stored core object: each label of this API names a core field.
  fieldValue(field, o) { return selectableField(eventStrategy, o, FIELD_LABELS[field] ?? field); },
  fieldSelectors: [...Object.keys(FIELD_LABELS), "reason", "type"],
};
