/**
 * pods/eviction (upstream's EvictionREST): deletes a pod unless that would
 * break a PodDisruptionBudget covering it (429). A terminal or deleted pod
 * spends no budget.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Eviction, PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import type { Kube } from "../../../../api/kube-object.js";
import { ApiError, methodNotAllowed } from "../../../../api/errors.js";
import { labelSelectorRequirements, matchesLabels } from "../../../../api/selectors.js";
import { sendJson } from "../../../http.js";
import type { DeleteOptions } from "../../object-store.js";
import type { SubresourceHandler } from "../../subresource.js";

export const evictionSubresource: SubresourceHandler = async (call, { objects, resource }) => {
  const { req, res, info, namespace, name } = call;
  if (req.method !== "POST") throw methodNotAllowed(req.method ?? "", "pods/eviction");
  const body = await call.readObject() as Kube<Eviction>;
  const pod = await objects.get(info, namespace, name) as Kube<Pod>;
  await objects.admitSubresource(info, "eviction", { apiVersion: "policy/v1", kind: "Eviction", ...body }, pod, call.writeOptions());
  const budgets = resource("policy", "v1", "poddisruptionbudgets");
  if (budgets && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !pod.metadata.deletionTimestamp) {
    // Each budget that covers the pod must allow one more disruption; taking it is a
    // guarded write, so two evictions never spend the same allowance.
    const pdbs = ((await objects.list(budgets, namespace)).items as Kube<PodDisruptionBudget>[])
      .filter((b) => matchesLabels(labelSelectorRequirements(b.spec?.selector ?? {}), pod.metadata.labels));
    for (const pdb of pdbs) {
      await objects.guaranteedUpdate(budgets, namespace, pdb.metadata.name ?? "", (stored) => {
        const cur = stored as Kube<PodDisruptionBudget> | undefined;
        if ((cur!.status?.disruptionsAllowed ?? 0) < 1) {
          throw new ApiError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", {
            causes: [{ reason: "DisruptionBudget", message: `The disruption budget ${pdb.metadata.name} needs ${cur!.status?.desiredHealthy ?? 0} healthy pods and has ${cur!.status?.currentHealthy ?? 0} currently` }],
          });
        }
        return { ...cur!, status: { ...cur!.status, disruptionsAllowed: cur!.status!.disruptionsAllowed - 1 } };
      }, { subresource: "status", fieldManager: "skiff-apiserver" });
    }
  }
  // The Eviction's DeleteOptions go to the delete as the client wrote them.
  await objects.delete(info, namespace, name, { ...(body.deleteOptions as DeleteOptions | undefined), user: call.user });
  sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
};
