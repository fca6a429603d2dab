/**
 * Upstream's PodSecurity metrics (k8s.io/pod-security-admission/metrics), with
 * their names, help and labels, in a registry the API server's /metrics serves.
 */
import type { AdmissionAttributes } from "../../admission.js";
import { Counter, Registry } from "../../../../metrics/index.js";
import { type LevelVersion, versionString } from "./levels.js";

export type Decision = "allow" | "deny";
export type Mode = "enforce" | "audit" | "warn";

/** What the plugin reports; the default records nothing. */
export interface PodSecurityRecorder {
  recordEvaluation(decision: Decision, policy: LevelVersion, mode: Mode, attrs: AdmissionAttributes): void;
  recordExemption(attrs: AdmissionAttributes): void;
  recordError(fatal: boolean, attrs: AdmissionAttributes): void;
}

export const NOOP_RECORDER: PodSecurityRecorder = { recordEvaluation() {}, recordExemption() {}, recordError() {} };

const requestLabels = (attrs: AdmissionAttributes) => ({ request_operation: attrs.operation.toLowerCase(), resource: resourceLabel(attrs), subresource: attrs.subresource });

function resourceLabel(attrs: AdmissionAttributes): string {
  if (attrs.info.group === "" && attrs.info.resource === "pods") return "pod";
  if (attrs.info.group === "" && attrs.info.resource === "namespaces") return "namespace";
  return "controller";
}

export class PodSecurityMetrics implements PodSecurityRecorder {
  private readonly evaluations: Counter;
  private readonly exemptions: Counter;
  private readonly errors: Counter;

  /**
   * @param registry where the counters are registered (the API server's).
   * @param serverMinor the API server's own v1.<minor>: pinned versions above it count as "future".
   */
  constructor(readonly registry = new Registry(), private readonly serverMinor = 32) {
    const registers = [registry];
    this.evaluations = new Counter({ name: "pod_security_evaluations_total", help: "[ALPHA] Number of policy evaluations that occurred, not counting ignored or exempt requests.",
      labelNames: ["decision", "policy_level", "policy_version", "mode", "request_operation", "resource", "subresource"], registers });
    this.exemptions = new Counter({ name: "pod_security_exemptions_total", help: "[ALPHA] Number of exempt requests, not counting ignored or out of scope requests.",
      labelNames: ["request_operation", "resource", "subresource"], registers });
    this.errors = new Counter({ name: "pod_security_errors_total", help: "[ALPHA] Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.",
      labelNames: ["fatal", "request_operation", "resource", "subresource"], registers });
  }

  recordEvaluation(decision: Decision, policy: LevelVersion, mode: Mode, attrs: AdmissionAttributes): void {
    // Privileged is always effectively latest.
    const version = policy.version === "latest" || policy.level === "privileged"
      ? "latest"
      : policy.version <= this.serverMinor ? versionString(policy.version) : "future";
    this.evaluations.inc({ decision, policy_level: policy.level, policy_version: version, mode, ...requestLabels(attrs) });
  }

  recordExemption(attrs: AdmissionAttributes): void {
    this.exemptions.inc(requestLabels(attrs));
  }

  recordError(fatal: boolean, attrs: AdmissionAttributes): void {
    this.errors.inc({ fatal: String(fatal), ...requestLabels(attrs) });
  }
}
