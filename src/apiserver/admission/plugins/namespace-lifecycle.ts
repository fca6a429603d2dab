/**
 * Upstream's NamespaceLifecycle: nothing is created in a namespace that does
 * not exist or is being terminated, and the namespaces the system needs
 * (default, kube-system, kube-public) cannot be deleted.
 */
import type { Namespace } from "kubernetes-types/core/v1.js";
import { ApiError, notFound } from "../../../api/errors.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

export const IMMORTAL_NAMESPACES = ["default", "kube-system", "kube-public"];

/** Reviews are answered in a namespace without being stored there. */
const EXEMPT = new Set(["authorization.k8s.io/localsubjectaccessreviews"]);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = "NamespaceLifecycle";

  constructor(private readonly options: { getNamespace(name: string): Promise<Namespace | undefined> }) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    const isNamespace = a.info.group === "" && a.info.resource === "namespaces";
    if (isNamespace) {
      if (a.operation === "DELETE" && IMMORTAL_NAMESPACES.includes(a.name)) {
        throw new ApiError(403, "Forbidden", `namespaces "${a.name}" is forbidden: this namespace may not be deleted`, { name: a.name, kind: "namespaces" });
      }
      return;
    }
    if (a.operation !== "CREATE" || !a.info.namespaced || !a.namespace || EXEMPT.has(`${a.info.group}/${a.info.resource}`)) return;
    // Writes to subresources (a pod's binding or eviction) concern objects already admitted in the namespace.
    if (a.subresource) return;
    const ns = await this.options.getNamespace(a.namespace);
    if (!ns) throw notFound("namespaces", "", a.namespace);
    if (ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") {
      throw new ApiError(403, "Forbidden", `unable to create new content in namespace ${a.namespace} because it is being terminated`, { name: a.namespace, kind: "namespaces" });
    }
  }
}
