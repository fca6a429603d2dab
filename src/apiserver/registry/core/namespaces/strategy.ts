/** Namespaces: DNS-1123 label names, Active on create, Terminating until the namespace controller has emptied them. */
import type { Namespace } from "kubernetes-types/core/v1.js";
import { dns1123Label } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const namespaceTable = tablePrinter<Stored<Namespace>>([["Status"], ["Age"]], (o, now) => [o.status?.phase ?? "Active", age(o.metadata.creationTimestamp, now)]);

export const namespaceStrategy: Strategy<Stored<Namespace>> = {
  defaults(o) {
    o.spec ??= {};
    o.spec.finalizers ??= ["kubernetes"];
    o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": o.metadata.name as string };
  },
  nameValidation: dns1123Label,
  printer: namespaceTable,
  prepareForCreate(o) { o.status = { phase: "Active" }; },
  fieldSelectors: ["status.phase"],
  // A namespace is Terminating until the namespace controller has emptied it and cleared spec.finalizers.
  beginGracefulDelete(o, finalizers, _grace, now) {
    if (!(o.spec?.finalizers ?? []).length && !finalizers.length) return false;
    o.metadata.deletionTimestamp ??= now;
    o.metadata.deletionGracePeriodSeconds ??= 0;
    o.status = { ...(o.status ?? {}), phase: "Terminating" };
    if (finalizers.length) o.metadata.finalizers = finalizers;
    return true;
  },
  readyToDelete: (o) => !(o.spec?.finalizers ?? []).length,
  subresourceUpdates: {
    // A namespace's finalize writes only spec.finalizers, as upstream.
    finalize: { merge: (cur, input) => ({ ...cur, spec: { ...(cur.spec ?? {}), finalizers: input.spec?.finalizers ?? [] } }) },
  },
};
