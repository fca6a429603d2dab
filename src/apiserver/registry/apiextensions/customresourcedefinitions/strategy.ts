/** CustomResourceDefinitions: named plural.group, one storage version, a fixed scope; status is the establishing controller's. */
import type { WebhookClientConfig } from "kubernetes-types/admissionregistration/v1.js";
import type { CustomResourceDefinition, CustomResourceDefinitionSpec } from "kubernetes-types/apiextensions/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { immutable, invalidValue, pathSegmentName, required } from "../../../../api/validation.js";
import { tablePrinter } from "../../../../api/tables.js";
import { validateSchemaRules, type Schema } from "../../../cel/index.js";
import { validateVersionSelectableFields } from "./selectable-fields.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { validateClientConfig, validateReviewVersions } from "../../admissionregistration/webhookconfigurations/validation.js";

function validateCustomResourceDefinition(o: Stored<CustomResourceDefinition>): FieldError[] {
  const s = o.spec ?? ({} as CustomResourceDefinitionSpec);
  const errs: FieldError[] = [];
  if (!s.group) errs.push(required("spec.group"));
  if (!s.names?.plural) errs.push(required("spec.names.plural"));
  if (!s.names?.kind) errs.push(required("spec.names.kind"));
  if (!["Namespaced", "Cluster"].includes(s.scope ?? "")) errs.push({ type: "FieldValueNotSupported", field: "spec.scope", value: s.scope, detail: 'supported values: "Cluster", "Namespaced"' });
  if (!(s.versions ?? []).length) errs.push(required("spec.versions"));
  if ((s.versions ?? []).filter((v) => v.storage).length !== 1) errs.push(invalidValue("spec.versions", s.versions?.length ?? 0, "must have exactly one version marked as storage version"));
  if (s.group && s.names?.plural && o.metadata?.name !== `${s.names.plural}.${s.group}`) {
    errs.push(invalidValue("metadata.name", o.metadata?.name, `must be spec.names.plural+"."+spec.group`));
  }
  errs.push(...validateConversion(s));
  // Each version's x-kubernetes-validations must compile and stay within the cost limits.
  (s.versions ?? []).forEach((v, i) => {
    const schema = v.schema?.openAPIV3Schema as Schema | undefined;
    if (schema) errs.push(...validateSchemaRules(schema, `spec.versions[${i}].schema.openAPIV3Schema`));
    errs.push(...validateVersionSelectableFields(v, `spec.versions[${i}]`));
  });
  return errs;
}

/** Upstream's ValidateCustomResourceConversion: a webhook exactly when the strategy is Webhook, with versions it can speak. */
function validateConversion(s: CustomResourceDefinitionSpec): FieldError[] {
  const c = s.conversion;
  if (!c) return [];
  const errs: FieldError[] = [];
  if (c.strategy !== "None" && c.strategy !== "Webhook") {
    return [{ type: "FieldValueNotSupported", field: "spec.conversion.strategy", value: c.strategy, detail: 'supported values: "None", "Webhook"' }];
  }
  if (c.strategy === "Webhook") {
    if (!c.webhook?.clientConfig) errs.push(required("spec.conversion.webhook.clientConfig", "required when strategy is set to Webhook"));
    else errs.push(...validateClientConfig(c.webhook.clientConfig as WebhookClientConfig, "spec.conversion.webhook.clientConfig"));
    errs.push(...validateReviewVersions(c.webhook?.conversionReviewVersions, "spec.conversion.webhook.conversionReviewVersions"));
    if (s.preserveUnknownFields) errs.push(invalidValue("spec.conversion.strategy", c.strategy, "must be None if spec.preserveUnknownFields is true"));
  } else if (c.webhook) {
    errs.push({ type: "FieldValueForbidden", field: "spec.conversion.webhook", detail: "should not be set when strategy is not set to Webhook" });
  }
  return errs;
}

const customResourceDefinitionTable = tablePrinter<Stored<CustomResourceDefinition>>([["Created At", "date"]], (o) => [o.metadata.creationTimestamp as string]);

/** Upstream's finalizer that deletes a CRD's objects before the CRD goes. */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

export const customResourceDefinitionStrategy: Strategy<Stored<CustomResourceDefinition>> = {
  // As upstream's CRD REST Delete: the first delete adds the cleanup finalizer and says so in a Terminating condition.
  beginGracefulDelete(o, finalizers, _grace, now) {
    if (o.metadata.deletionTimestamp) return undefined;
    if (!finalizers.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) finalizers.push(CUSTOM_RESOURCE_CLEANUP_FINALIZER);
    const conditions = (o.status?.conditions ?? []).filter((c) => c.type !== "Terminating");
    conditions.push({ type: "Terminating", status: "True", lastTransitionTime: now, reason: "InstanceDeletionPending", message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon" });
    o.status = { ...(o.status ?? { acceptedNames: { kind: "", plural: "" }, storedVersions: [] }), conditions };
    return undefined;
  },
  defaults(o) {
    for (const v of o.spec?.versions ?? []) v.served ??= true;
    const spec = (o.spec ??= {} as CustomResourceDefinitionSpec);
    spec.conversion ??= { strategy: "None" };
  },
  // The name is checked against spec.names and spec.group instead.
  nameValidation: pathSegmentName,
  prepareForCreate: clearStatus,
  printer: customResourceDefinitionTable,
  validate: validateCustomResourceDefinition,
  validateUpdate: (o, old) => (o.spec?.scope !== old.spec?.scope ? [immutable("spec.scope", o.spec?.scope)] : []),
};
