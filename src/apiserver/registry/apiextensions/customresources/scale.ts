/** A custom resource's scale subresource, at the paths its CRD's subresources.scale names. */
import { isObject } from "../../../../api/json.js";
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { scaleSubresource } from "../../scale.js";
import type { SubresourceHandler } from "../../subresource.js";
import { valueAt } from "./json-path.js";

export function customResourceScale(crd: CustomResourceInfo): SubresourceHandler {
  return scaleSubresource({
    specReplicas: (o) => valueAt(o, crd.scaleSpecReplicasPath) as number | undefined,
    statusReplicas: (o) => valueAt(o, crd.scaleStatusReplicasPath) as number | undefined,
    selector: (o) => String(valueAt(o, crd.scaleLabelSelectorPath) ?? ""),
    setReplicas(o, replicas) {
      const parts = (crd.scaleSpecReplicasPath ?? ".spec.replicas").replace(/^\./, "").split(".");
      let cur: { [field: string]: unknown } = o;
      for (const p of parts.slice(0, -1)) {
        const next = (cur[p] ??= {});
        if (!isObject(next)) return; // not an object to hold replicas: validation of the object refuses it
        cur = next;
      }
      cur[parts[parts.length - 1]!] = replicas;
    },
  });
}
