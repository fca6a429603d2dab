/**
 * Upstream's webhook admission metrics (k8s.io/apiserver/pkg/admission/metrics):
 * every call of a webhook by name, type (admit for mutating, validating),
 * operation and outcome; rejections by their cause; webhooks that failed
 * open; and what matchConditions did.
 */
import { Counter, Histogram, type Registry } from "../../../../metrics/index.js";

export type WebhookType = "admit" | "validating";

/** Why a webhook's call rejected a request: it denied it, it could not be called (failurePolicy Fail), or the server failed. */
export type WebhookRejection = "no_error" | "calling_webhook_error" | "apiserver_internal_error";

export class WebhookMetrics {
  private readonly duration: Histogram;
  private readonly requests: Counter;
  private readonly rejections: Counter;
  private readonly failOpen: Counter;
  private readonly conditionErrors: Counter;
  private readonly conditionExclusions: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: "apiserver_admission_webhook_admission_duration_seconds", registers,
      help: "Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
      labelNames: ["name", "type", "operation", "rejected"], buckets: [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25],
    });
    this.requests = new Counter({
      name: "apiserver_admission_webhook_request_total", registers,
      help: "Admission webhook request total, identified by name and broken out for each admission type (validating or mutating) and operation. Additional labels specify whether the request was rejected or not and an HTTP status code. Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.",
      labelNames: ["name", "type", "operation", "code", "rejected"],
    });
    this.rejections = new Counter({
      name: "apiserver_admission_webhook_rejection_count", registers,
      help: "Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.",
      labelNames: ["name", "type", "operation", "error_type", "rejection_code"],
    });
    this.failOpen = new Counter({
      name: "apiserver_admission_webhook_fail_open_count", registers,
      help: "Admission webhook fail open count, identified by name and broken out for each admission type (validating or admit).",
      labelNames: ["name", "type"],
    });
    this.conditionErrors = new Counter({
      name: "apiserver_admission_match_condition_evaluation_errors_total", registers,
      help: "Admission match condition evaluation errors count, identified by name of resource containing the match condition and broken out for each kind containing matchConditions (webhook or policy), operation and admission type (validate or admit).",
      labelNames: ["name", "kind", "type", "operation"],
    });
    this.conditionExclusions = new Counter({
      name: "apiserver_admission_match_condition_exclusions_total", registers,
      help: "Admission match condition evaluation exclusions count, identified by name of resource containing the match condition and broken out for each kind containing matchConditions (webhook or policy), operation and admission type (validate or admit).",
      labelNames: ["name", "kind", "type", "operation"],
    });
  }

  /** One call: its latency and code (200 for an answer, the denial's code, 0 when it could not be called). */
  observeCall(name: string, type: WebhookType, operation: string, rejected: boolean, code: number, seconds: number): void {
    this.duration.observe({ name, type, operation, rejected: String(rejected) }, seconds);
    this.requests.inc({ name, type, operation, code: String(Math.min(code, 600)), rejected: String(rejected) });
  }

  observeRejection(name: string, type: WebhookType, operation: string, errorType: WebhookRejection, code: number): void {
    this.rejections.inc({ name, type, operation, error_type: errorType, rejection_code: String(Math.min(code, 600)) });
  }

  observeFailOpen(name: string, type: WebhookType): void {
    this.failOpen.inc({ name, type });
  }

  observeMatchCondition(outcome: "error" | "exclusion", name: string, type: WebhookType, operation: string): void {
    (outcome === "error" ? this.conditionErrors : this.conditionExclusions).inc({ name, kind: "webhook", type, operation });
  }
}
