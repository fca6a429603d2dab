/** A custom resource's scale subresource, at the paths its CRD's subresources.scale names. */
import type { CustomResourceInfo } from "../../../../api/resources.js";
import type { Obj } from "../../object-store.js";
import { scaleSubresource } from "../../scale.js";
import type { SubresourceHandler } from "../../subresource.js";

/** The value at a simple JSONPath such as `.spec.replicas`. */
function getPath(o: Obj, path: string | undefined): unknown {
  let cur: unknown = o;
  for (const p of (path ?? "").replace(/^\./, "").split(".")) {
    if (!p) continue;
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

export function customResourceScale(crd: CustomResourceInfo): SubresourceHandler {
  return scaleSubresource({
    specReplicas: (o) => getPath(o, crd.scaleSpecReplicasPath) as number | undefined,
    statusReplicas: (o) => getPath(o, crd.scaleStatusReplicasPath) as number | undefined,
    selector: (o) => String(getPath(o, crd.scaleLabelSelectorPath) ?? ""),
    setReplicas(o, replicas) {
      const parts = (crd.scaleSpecReplicasPath ?? ".spec.replicas").replace(/^\./, "").split(".");
      let cur = o;
      for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {});
      cur[parts[parts.length - 1]!] = replicas;
    },
  });
}
