/**
 * MutatingAdmissionWebhook: the mutating webhooks of every
 * MutatingWebhookConfiguration, called one after another in the mutating
 * stage (after the built-in mutating plugins), each one's JSONPatch applied
 * to the object before the next is called. A webhook with
 * reinvocationPolicy IfNeeded is called once more when a webhook after it
 * changed the object, or when the built-in plugins, run again because a
 * webhook changed it, changed it once more (upstream's reinvocation). A webhook that cannot be called fails the request
 * (failurePolicy Fail, 500 as upstream) or is skipped (Ignore).
 */
import fastJsonPatch from "fast-json-patch";
import type { MutatingWebhook, MutatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import { ApiError, internalError } from "../../../../api/errors.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { pruneUnknownFields } from "../../../field-validation.js";
import { checkTypes } from "../../../type-check.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../../admission.js";
import { ReinvocationContext } from "../../reinvocation.js";
import {
  WebhookCallError, invokeWebhook, isExemptAdmissionConfigurationResource, shouldCallHook, versioned, webhookEntries,
  type WebhookDependencies, type WebhookEntry, type WebhookInvocation,
} from "../webhook/index.js";

export const PLUGIN_NAME = "MutatingAdmissionWebhook";

const PATCH_ANNOTATION = "patch.webhook.admission.k8s.io/";
const MUTATION_ANNOTATION = "mutation.webhook.admission.k8s.io/";
const FAILED_OPEN_ANNOTATION = `failed-open.${MUTATION_ANNOTATION}`;

export interface MutatingAdmissionWebhookOptions extends WebhookDependencies {
  /** The MutatingWebhookConfigurations, from a cache that follows their watch. */
  configurations(): MutatingWebhookConfiguration[];
}

/** What the plugin remembers between a request's two rounds (upstream's webhookReinvokeContext), by webhook key. */
interface ReinvocationState {
  /** The object as the last webhook left it. */
  lastOutput?: AdmissionObject;
  /** IfNeeded webhooks called and not yet asked back. */
  invokedReinvocable: Set<string>;
  /** Webhooks the second round calls. */
  reinvoke: Set<string>;
}

function requireReinvoking(state: ReinvocationState): void {
  for (const key of state.invokedReinvocable) state.reinvoke.add(key);
  state.invokedReinvocable.clear();
}

export class MutatingAdmissionWebhook implements AdmissionPlugin {
  readonly name = PLUGIN_NAME;

  constructor(private readonly deps: MutatingAdmissionWebhookOptions) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (isExemptAdmissionConfigurationResource(attrs)) return;
    const entries = webhookEntries(this.deps.configurations());
    if (!entries.length) return;
    const context = attrs.reinvocation ?? new ReinvocationContext();
    let state = context.value<ReinvocationState>(PLUGIN_NAME);
    if (!state) context.setValue(PLUGIN_NAME, (state = { invokedReinvocable: new Set(), reinvoke: new Set() }));
    const round = context.isReinvoke() ? 1 : 0;
    // The built-in plugins ran again before this second round: if they changed the object, every IfNeeded webhook called so far sees it.
    if (round === 1 && !jsonEqual(state.lastOutput, attrs.object)) requireReinvoking(state);
    try {
      for (const [index, entry] of entries.entries()) {
        const inv = await shouldCallHook(entry, attrs, this.deps, "admit");
        if (!inv) continue;
        // The second round calls only webhooks asked back; one not called in the first is never called for the first time here.
        if (round === 1 && !state.reinvoke.has(entry.key)) continue;
        const changed = await this.call(inv, attrs, round, index);
        if (changed) {
          // Every IfNeeded webhook called before this one sees the change, and the built-in plugins run again.
          requireReinvoking(state);
          context.setShouldReinvoke();
        }
        if ((entry.hook as MutatingWebhook).reinvocationPolicy === "IfNeeded") state.invokedReinvocable.add(entry.key);
      }
    } finally {
      state.lastOutput = structuredClone(attrs.object);
    }
  }

  /** One call; returns whether the webhook's patch changed the object. */
  private async call(inv: WebhookInvocation, attrs: AdmissionAttributes, round: number, index: number): Promise<boolean> {
    const { entry } = inv;
    const suffix = `round_${round}_index_${index}`;
    const object = versioned(attrs.object, inv, attrs, this.deps);
    let result;
    try {
      result = await invokeWebhook(inv, attrs, object, this.deps, true);
    } catch (err) {
      if (!(err instanceof WebhookCallError)) throw err;
      if (entry.hook.failurePolicy === "Ignore") {
        this.deps.log?.("failed calling webhook, failing open", { webhook: entry.hook.name, error: err.message });
        attrs.addAuditAnnotation?.(FAILED_OPEN_ANNOTATION + suffix, entry.hook.name);
        return false;
      }
      this.deps.log?.("failed calling webhook, failing closed", { webhook: entry.hook.name, error: err.message });
      throw internalError(err);
    }
    const patch = result.patch ?? [];
    if (!patch.length) {
      this.annotateMutation(attrs, entry, suffix, false);
      return false;
    }
    if (attrs.operation === "DELETE" || attrs.operation === "CONNECT" || !object) {
      throw internalError(new Error(`admission webhook ${JSON.stringify(entry.hook.name)} attempted to modify the object, which is not supported for this operation`));
    }
    let patched: AdmissionObject;
    try {
      patched = fastJsonPatch.applyPatch(structuredClone(object), patch, true, false).newDocument as AdmissionObject;
    } catch (err) {
      throw internalError(err);
    }
    const changed = !jsonEqual(object, patched);
    const back = inv.resource === attrs.info ? patched : this.deps.convert(patched, inv.resource, attrs.info);
    // What the webhook sent is decoded into the kind's types, as upstream decodes into the Go type: wrong types fail, unknown fields go.
    try {
      checkTypes(attrs.info, back);
    } catch (err) {
      throw err instanceof ApiError ? internalError(new Error(err.message)) : err;
    }
    pruneUnknownFields(attrs.info, back);
    // The request's version and kind stay, as decoding into the request's type keeps them upstream.
    back.apiVersion = attrs.object.apiVersion;
    back.kind = attrs.object.kind;
    // The registry holds attrs.object: it is changed in place.
    for (const k of Object.keys(attrs.object)) delete attrs.object[k];
    Object.assign(attrs.object, back);
    this.annotateMutation(attrs, entry, suffix, changed);
    attrs.addAuditAnnotation?.(PATCH_ANNOTATION + suffix, JSON.stringify({ configuration: entry.configuration, webhook: entry.hook.name, patch, patchType: "JSONPatch" }));
    return changed;
  }

  private annotateMutation(attrs: AdmissionAttributes, entry: WebhookEntry, suffix: string, mutated: boolean): void {
    attrs.addAuditAnnotation?.(MUTATION_ANNOTATION + suffix, JSON.stringify({ configuration: entry.configuration, webhook: entry.hook.name, mutated }));
  }
}
