/**
 * pods/log, exec, attach and portforward are served by the pod's kubelet, as
 * upstream proxies them: a log GET here, the others through the server's
 * upgrade path (server.ts); a plain request to those gets upstream's answer.
 */
import { ApiError } from "../../../../api/errors.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../../api/kube-object.js";
import type { SubresourceHandler } from "../../subresource.js";

/** A request the kubelet would serve, but not like this. */
export const streamingSubresource: SubresourceHandler = async (call, { objects }) => {
  const pod = await objects.get(call.info, call.namespace, call.name) as Kube<Pod>;
  if (!pod.spec?.nodeName) throw new ApiError(400, "BadRequest", `pod ${call.name} does not have a host assigned`);
  // Upstream's upgrade-aware proxy for exec, attach and portforward (UpgradeRequired) answers a plain request so.
  if (call.subresource !== "log") throw new ApiError(400, "BadRequest", "Upgrade request required");
  throw new ApiError(400, "BadRequest", `pods/${call.subresource} is not supported by this server yet`);
};

export const logSubresource: SubresourceHandler = async (call, services) => {
  if (!services.kubelets || call.req.method !== "GET") return streamingSubresource(call, services);
  return services.kubelets.log(call.namespace!, call.name, call.query, call.res);
};
