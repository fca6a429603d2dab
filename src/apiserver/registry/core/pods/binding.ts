/**
 * pods/binding (upstream's BindingREST): the scheduler's POST of a Binding
 * sets spec.nodeName and the PodScheduled condition, once; the store writes
 * it as the subresource "binding" (see the pod strategy's subresourceUpdates).
 */
import type { Binding, Pod, PodCondition } from "kubernetes-types/core/v1.js";
import { ApiError, methodNotAllowed } from "../../../../api/errors.js";
import { rfc3339 } from "../../../../api/time.js";
import { sendJson } from "../../../http.js";
import type { Stored } from "../../strategy.js";
import type { SubresourceHandler } from "../../subresource.js";

export const bindingSubresource: SubresourceHandler = async (call, { objects }) => {
  const { req, res, info, namespace, name } = call;
  if (req.method !== "POST") throw methodNotAllowed(req.method ?? "", "pods/binding");
  const body = await call.readObject() as Partial<Binding>;
  const node = body.target?.name;
  if (!node) throw new ApiError(422, "Invalid", `Binding "${name}" is invalid: target.name: Required value`);
  await objects.guaranteedUpdate(info, namespace, name, (current) => {
    const pod = current as Stored<Pod> & { spec: NonNullable<Pod["spec"]> };
    if (pod.spec.nodeName) throw new ApiError(409, "Conflict", `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = node;
    pod.status ??= {};
    const conds: PodCondition[] = (pod.status.conditions ??= []);
    const idx = conds.findIndex((c) => c.type === "PodScheduled");
    // lastProbeTime is null in upstream's condition, not absent.
    const cond = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: rfc3339() } as unknown as PodCondition;
    if (idx >= 0) conds[idx] = cond; else conds.push(cond);
    return pod;
  }, { ...call.writeOptions(), subresource: "binding" });
  sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
};
