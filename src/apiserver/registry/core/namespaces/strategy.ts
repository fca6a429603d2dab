/** Namespaces: Active on create, Terminating until the namespace controller has emptied them. */
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const namespaceStrategy: Strategy<Stored<Namespace>> = {
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
