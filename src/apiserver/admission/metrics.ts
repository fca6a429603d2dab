/**
 * Upstream's admission latencies (k8s.io/apiserver/pkg/admission/metrics):
 * each step of the chain (admit, validate) and each plugin in it, by
 * operation and whether it rejected the request.
 */
import { Histogram, type Registry } from "../../metrics/index.js";

const BUCKETS = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5];

export type AdmissionStep = "admit" | "validate";

export class AdmissionMetrics {
  private readonly step: Histogram;
  private readonly controller: Histogram;

  constructor(registry: Registry) {
    this.step = new Histogram({ name: "apiserver_admission_step_admission_duration_seconds", help: "Admission sub-step latency histogram in seconds, broken out for each operation and API resource and step type (validate or admit).", labelNames: ["type", "operation", "rejected"], buckets: BUCKETS, registers: [registry] });
    this.controller = new Histogram({ name: "apiserver_admission_controller_admission_duration_seconds", help: "Admission controller latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).", labelNames: ["name", "type", "operation", "rejected"], buckets: BUCKETS, registers: [registry] });
  }

  observeStep(type: AdmissionStep, operation: string, rejected: boolean, seconds: number): void {
    this.step.observe({ type, operation, rejected: String(rejected) }, seconds);
  }

  observePlugin(name: string, type: AdmissionStep, operation: string, rejected: boolean, seconds: number): void {
    this.controller.observe({ name, type, operation, rejected: String(rejected) }, seconds);
  }
}
