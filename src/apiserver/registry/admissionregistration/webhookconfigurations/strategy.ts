/**
 * MutatingWebhookConfigurations and ValidatingWebhookConfigurations:
 * upstream's v1 defaults and validation, and the WEBHOOKS column of
 * `kubectl get`. Admission webhooks are never called for these objects
 * (see admission/plugins/webhook/exemption.ts), so a broken webhook cannot
 * stop its own repair.
 */
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";
import { defaultMutatingWebhook, defaultWebhook } from "./defaults.js";
import { validateWebhooks } from "./validation.js";

type Configuration = Stored<ValidatingWebhookConfiguration> | Stored<MutatingWebhookConfiguration>;

const webhookConfigurationTable = tablePrinter<Configuration>(
  [["Webhooks", "integer"], ["Age"]],
  (o, now) => [(o.webhooks ?? []).length, age(o.metadata.creationTimestamp, now)],
);

export const validatingWebhookConfigurationStrategy: Strategy<Stored<ValidatingWebhookConfiguration>> = {
  defaults(o) { for (const hook of o.webhooks ?? []) defaultWebhook(hook); },
  validate: (o) => validateWebhooks(o.webhooks, false),
  printer: webhookConfigurationTable,
};

export const mutatingWebhookConfigurationStrategy: Strategy<Stored<MutatingWebhookConfiguration>> = {
  defaults(o) { for (const hook of o.webhooks ?? []) defaultMutatingWebhook(hook); },
  validate: (o) => validateWebhooks(o.webhooks, true),
  printer: webhookConfigurationTable,
};
