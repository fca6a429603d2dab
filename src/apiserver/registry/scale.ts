/**
 * The scale subresource: GET, PUT and PATCH of an autoscaling/v1 Scale,
 * mapped onto the replicas of the object under it (upstream's ScaleREST).
 * A ScaleTarget says where a kind keeps them; the write goes through the
 * object's own update, with its admission and validation.
 */
import type { Scale } from "kubernetes-types/autoscaling/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { ApiError, conflict, methodNotAllowed } from "../../api/errors.js";
import { applyJsonPatch } from "../../api/patch/json-patch.js";
import { applyMergePatch } from "../../api/patch/merge-patch.js";
import { formatLabelSelector } from "../../api/selectors.js";
import { isObject } from "../../api/json.js";
import { decodeBody, mediaType, readBody, sendJson } from "../http.js";
import type { Obj } from "./object-store.js";
import type { SubresourceHandler } from "./subresource.js";

/** Where a kind keeps what a Scale shows. */
export interface ScaleTarget {
  specReplicas(o: Obj): number | undefined;
  statusReplicas(o: Obj): number | undefined;
  /** status.selector: the pods' selector in query-parameter form. */
  selector(o: Obj): string;
  setReplicas(o: Obj, replicas: number): void;
}

export function scaleSubresource(target: ScaleTarget): SubresourceHandler {
  return async (call, { objects }) => {
    const { req, res, info, namespace, name } = call;
    const toScale = (o: Obj): Scale => ({
      kind: "Scale", apiVersion: "autoscaling/v1",
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: target.specReplicas(o) ?? 0 },
      status: { replicas: target.statusReplicas(o) ?? 0, selector: target.selector(o) },
    });
    const method = req.method;
    if (method === "GET") return sendJson(res, 200, toScale(await objects.get(info, namespace, name)));
    if (method !== "PUT" && method !== "PATCH") throw methodNotAllowed(method ?? "", `${info.resource}/scale`);
    const type = mediaType(req);
    // A PUT's Scale may come as protobuf (client-go's UpdateScale); a patch is JSON.
    const body = method === "PUT" ? await call.readObject() : decodeBody(await readBody(req), type) as Obj;
    const opts = call.writeOptions();
    const result = await objects.guaranteedUpdate(info, namespace, name, (current) => {
      const scale = toScale(current!);
      let next: Obj;
      if (method === "PUT") next = body;
      else if (type === "application/json-patch+json") next = applyJsonPatch(scale, body) as Obj;
      else next = applyMergePatch(scale, body) as Obj;
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== current!.metadata.resourceVersion) throw conflict(info.resource, info.group, name);
      // spec.replicas is omitempty: a Go client scaling to 0 leaves it out, and upstream reads it as 0.
      const replicas = (isObject(next.spec) ? next.spec.replicas : undefined) ?? 0;
      if (typeof replicas !== "number" || replicas < 0 || !Number.isInteger(replicas)) {
        throw new ApiError(422, "Invalid", `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name, group: "autoscaling", kind: "Scale", causes: [{ reason: "FieldValueInvalid", message: "must be greater than or equal to 0", field: "spec.replicas" }] });
      }
      const updated = structuredClone(current!);
      target.setReplicas(updated, replicas);
      delete updated.metadata.resourceVersion;
      return updated;
    }, { ...opts, subresource: undefined });
    sendJson(res, 200, toScale(result.object));
  };
}

/** spec.replicas and status.replicas, with the pods' selector in spec.selector, read by selectorText. */
function replicasScale(selectorText: (selector: unknown) => string): SubresourceHandler {
  // Validation keeps replicas a number in objects of these kinds.
  return scaleSubresource({
    specReplicas: (o) => (isObject(o.spec) ? o.spec.replicas : undefined) as number | undefined,
    statusReplicas: (o) => (isObject(o.status) ? o.status.replicas : undefined) as number | undefined,
    selector: (o) => selectorText(isObject(o.spec) ? o.spec.selector : undefined),
    setReplicas(o, replicas) {
      const spec = (o.spec ??= {});
      if (isObject(spec)) spec.replicas = replicas;
    },
  });
}

/** Deployments, ReplicaSets, StatefulSets: a LabelSelector. */
export const labelSelectorScale = replicasScale((sel) => formatLabelSelector(sel as LabelSelector | undefined));

/** ReplicationControllers: a map of labels. */
export const mapSelectorScale = replicasScale((sel) => Object.entries(isObject(sel) ? sel : {}).map(([k, v]) => `${k}=${v}`).join(","));
