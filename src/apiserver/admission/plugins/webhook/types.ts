/**
 * What the two webhook admission plugins share: a webhook as both
 * configuration kinds hold it, the invocation a match produces, and what the
 * plugins read from the rest of the server.
 */
import type { MutatingWebhook, RuleWithOperations, ValidatingWebhook, WebhookClientConfig } from "kubernetes-types/admissionregistration/v1.js";
import type { Agent } from "node:https";
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { ResourceInfo } from "../../../../api/resources.js";
import type { AdmissionObject } from "../../admission.js";
import type { WebhookMetrics } from "./metrics.js";
import type { ServiceResolver } from "./service-resolver.js";
import type { Authorizer } from "../../../authorization/authorizer.js";

/** Upstream's RuleWithOperations embeds Rule inline; kubernetes-types leaves resources and scope out. */
export type Rule = RuleWithOperations & { resources?: string[]; scope?: string };

export type Webhook = (ValidatingWebhook | MutatingWebhook) & { rules?: Rule[] };

/** One webhook of one configuration, in the order upstream calls them: configurations by name, then their webhooks. */
export interface WebhookEntry {
  hook: Webhook;
  configuration: string;
  /** Unique in the server's list: the configuration's name and the webhook's. */
  key: string;
}

export interface GroupVersionKind { group: string; version: string; kind: string }

/** A webhook that matched a request: what it is called for, which may be an equivalent resource in another version. */
export interface WebhookInvocation {
  entry: WebhookEntry;
  /** The resource (and version) the webhook's rule named: the request's own, or an equivalent one. */
  resource: ResourceInfo;
  kind: GroupVersionKind;
}

export interface WebhookDependencies {
  /** The namespace of that name (for namespaceSelector), the cache's or storage's. */
  getNamespace(name: string): Promise<Namespace | undefined>;
  /** Every served version of a resource, the request's included (upstream's EquivalentResourceMapper). */
  equivalentResources(info: ResourceInfo): ResourceInfo[];
  /** The object as another served version of its resource shows it. */
  convert(obj: AdmissionObject, from: ResourceInfo, to: ResourceInfo): AdmissionObject;
  /** Where a webhook's `service` reference is reached. */
  services: ServiceResolver;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** The server's authorizer, for the CEL authorizer library in matchConditions (none: the variable is null). */
  authorizer?: Authorizer;
  /** Where calls, rejections and match conditions are counted (apiserver_admission_webhook_*); none when unset. */
  metrics?: WebhookMetrics;
  /** Where connections to webhooks are kept alive between calls (none: a connection per call). */
  agent?: Agent;
  /** How a webhook is called (client.ts's callWebhook; a fake in tests). Returns the parsed answer or throws WebhookCallError. */
  call?: (webhook: string, cc: WebhookClientConfig, timeoutSeconds: number, body: string, services: ServiceResolver, agent?: Agent) => Promise<unknown>;
}
