/**
 * Upstream's PodSecurity metrics (k8s.io/pod-security-admission/metrics), with
 * their names, help and labels, rendered in the Prometheus text format for
 * the API server's /metrics.
 */
import type { AdmissionAttributes } from "../../admission.js";
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

function resourceLabel(attrs: AdmissionAttributes): string {
  if (attrs.info.group === "" && attrs.info.resource === "pods") return "pod";
  if (attrs.info.group === "" && attrs.info.resource === "namespaces") return "namespace";
  return "controller";
}

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

class CounterVec {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly labels: string[]) {}

  inc(values: string[]): void {
    const key = this.labels.map((l, i) => `${l}="${escape(values[i])}"`).join(",");
    this.values.set(key, (this.values.get(key) ?? 0) + 1);
  }

  render(): string[] {
    return [`# HELP ${this.name} [ALPHA] ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values].map(([k, v]) => `${this.name}{${k}} ${v}`)];
  }
}

export class PodSecurityMetrics implements PodSecurityRecorder {
  private readonly evaluations = new CounterVec("pod_security_evaluations_total",
    "Number of policy evaluations that occurred, not counting ignored or exempt requests.",
    ["decision", "policy_level", "policy_version", "mode", "request_operation", "resource", "subresource"]);
  private readonly exemptions = new CounterVec("pod_security_exemptions_total",
    "Number of exempt requests, not counting ignored or out of scope requests.",
    ["request_operation", "resource", "subresource"]);
  private readonly errors = new CounterVec("pod_security_errors_total",
    "Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.",
    ["fatal", "request_operation", "resource", "subresource"]);

  /** @param serverMinor the API server's own v1.<minor>: pinned versions above it count as "future". */
  constructor(private readonly serverMinor = 32) {}

  recordEvaluation(decision: Decision, policy: LevelVersion, mode: Mode, attrs: AdmissionAttributes): void {
    // Privileged is always effectively latest.
    const version = policy.version === "latest" || policy.level === "privileged"
      ? "latest"
      : policy.version <= this.serverMinor ? versionString(policy.version) : "future";
    this.evaluations.inc([decision, policy.level, version, mode, attrs.operation.toLowerCase(), resourceLabel(attrs), attrs.subresource]);
  }

  recordExemption(attrs: AdmissionAttributes): void {
    this.exemptions.inc([attrs.operation.toLowerCase(), resourceLabel(attrs), attrs.subresource]);
  }

  recordError(fatal: boolean, attrs: AdmissionAttributes): void {
    this.errors.inc([String(fatal), attrs.operation.toLowerCase(), resourceLabel(attrs), attrs.subresource]);
  }

  render(): string {
    return [...this.evaluations.render(), ...this.exemptions.render(), ...this.errors.render()].join("\n") + "\n";
  }
}
