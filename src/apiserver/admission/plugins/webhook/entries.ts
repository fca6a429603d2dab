/** The webhooks of a kind's configurations in upstream's calling order: configurations sorted by name, each one's webhooks in order. */
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import type { Webhook, WebhookEntry } from "./types.js";

export function webhookEntries(configurations: (ValidatingWebhookConfiguration | MutatingWebhookConfiguration)[]): WebhookEntry[] {
  const name = (c: { metadata?: { name?: string } }) => c.metadata?.name ?? "";
  // Byte order, as Go sorts strings.
  const sorted = [...configurations].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return sorted.flatMap((c) => (c.webhooks ?? []).map((hook) => ({
    hook: hook as Webhook, configuration: c.metadata?.name ?? "", key: `${c.metadata?.name ?? ""}/${hook.name}`,
  })));
}
