/**
 * Custom resources: one strategy per served CRD version, made from what the
 * CRD declares (its schema, printer columns and scale paths), as upstream's
 * apiextensions-apiserver does for every custom resource.
 */
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { applyStructuralDefaults, schemaHasDefaults } from "../../../structural-defaults.js";
import { validateAndPrune } from "../../../structural-schema.js";
import type { Obj } from "../../object-store.js";
import { bumpGenerationOnChange, type Strategy } from "../../strategy.js";
import { customResourceScale } from "./scale.js";
import { customResourceTable } from "./table.js";

const made = new WeakMap<CustomResourceInfo, Strategy>();

export function customResourceStrategy(crd: CustomResourceInfo): Strategy {
  let s = made.get(crd);
  if (!s) {
    const schema = crd.schema as Obj | undefined;
    s = {
      // The schema's defaults, on writes and (object-store's present) on every read from storage.
      defaults: schema && schemaHasDefaults(schema) ? (o) => applyStructuralDefaults(o, schema) : undefined,
      // Any change outside metadata and status is a new generation, whether the schema calls it spec or not.
      prepareForUpdate: bumpGenerationOnChange,
      // Checked against the CRD's schema, losing the fields the schema does not declare.
      validate: schema ? (o) => validateAndPrune(o, schema, crd.preserveUnknownFields) : undefined,
      printer: customResourceTable(crd),
      allowCreateOnUpdate: true,
      // Served when the CRD declares subresources.scale.
      subresources: { scale: customResourceScale(crd) },
    };
    made.set(crd, s);
  }
  return s;
}
