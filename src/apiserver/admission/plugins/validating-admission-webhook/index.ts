/**
 * ValidatingAdmissionWebhook: the webhooks of every
 * ValidatingWebhookConfiguration that match a request, called in parallel
 * in the validating stage on the object as mutation left it. Any denial
 * refuses the request; a webhook that cannot be called refuses it too
 * (failurePolicy Fail, 500 as upstream) or is skipped (Ignore). When
 * several refuse, the first in calling order is the answer.
 */
import type { ValidatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import { internalError } from "../../../../api/errors.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../../admission.js";
import {
  WebhookCallError, invokeWebhook, isExemptAdmissionConfigurationResource, shouldCallHook, versioned, webhookEntries,
  type WebhookDependencies, type WebhookInvocation,
} from "../webhook/index.js";

export const PLUGIN_NAME = "ValidatingAdmissionWebhook";

const FAILED_OPEN_ANNOTATION = "failed-open.validating.webhook.admission.k8s.io/";

export interface ValidatingAdmissionWebhookOptions extends WebhookDependencies {
  /** The ValidatingWebhookConfigurations, from a cache that follows their watch. */
  configurations(): ValidatingWebhookConfiguration[];
}

export class ValidatingAdmissionWebhook implements AdmissionPlugin {
  readonly name = PLUGIN_NAME;

  constructor(private readonly deps: ValidatingAdmissionWebhookOptions) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (isExemptAdmissionConfigurationResource(attrs)) return;
    const entries = webhookEntries(this.deps.configurations());
    if (!entries.length) return;
    const invocations: { inv: WebhookInvocation; index: number }[] = [];
    for (const [index, entry] of entries.entries()) {
      const inv = await shouldCallHook(entry, attrs, this.deps, "validating");
      if (inv) invocations.push({ inv, index });
    }
    const outcomes = await Promise.all(invocations.map(({ inv, index }) => this.call(inv, index, attrs).then(() => undefined, (err: unknown) => err)));
    const refusal = outcomes.find((e) => e !== undefined);
    if (refusal !== undefined) throw refusal;
  }

  private async call(inv: WebhookInvocation, index: number, attrs: AdmissionAttributes): Promise<void> {
    const hook = inv.entry.hook;
    try {
      await invokeWebhook(inv, attrs, versioned(attrs.object, inv, attrs, this.deps), this.deps, false);
    } catch (err) {
      if (!(err instanceof WebhookCallError)) throw err;
      if (hook.failurePolicy === "Ignore") {
        this.deps.log?.("failed calling webhook, failing open", { webhook: hook.name, error: err.message });
        attrs.addAuditAnnotation?.(`${FAILED_OPEN_ANNOTATION}round_0_index_${index}`, hook.name);
        return;
      }
      this.deps.log?.("failed calling webhook, failing closed", { webhook: hook.name, error: err.message });
      throw internalError(err);
    }
  }
}
