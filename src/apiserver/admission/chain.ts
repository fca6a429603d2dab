/**
 * The ordered admission chain: every plugin's mutating step, in order, then
 * (after the strategy has validated the object) every plugin's validating
 * step, in order, as upstream runs its mutating and validating chains. When
 * a plugin asked for it (a mutating webhook changed the object), the mutating
 * steps run a second time, as upstream's reinvocation handler does.
 */
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.js";
import type { AdmissionMetrics, AdmissionStep } from "./metrics.js";
import { ReinvocationContext } from "./reinvocation.js";

export class AdmissionChain {
  /** metrics: each step's and each plugin's latency (apiserver_admission_*); none when unset. */
  constructor(readonly plugins: AdmissionPlugin[], private readonly metrics?: AdmissionMetrics) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    // Each pass through mutating admission is a request of its own (an update retried on a conflict is admitted afresh).
    const reinvocation = (attrs.reinvocation = new ReinvocationContext());
    await this.run("admit", attrs);
    if (!reinvocation.shouldReinvoke()) return;
    reinvocation.setIsReinvoke();
    await this.run("admit", attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    await this.run("validate", attrs);
  }

  private async run(step: AdmissionStep, attrs: AdmissionAttributes): Promise<void> {
    const m = this.metrics;
    if (!m) {
      for (const p of this.plugins) await p[step]?.(attrs);
      return;
    }
    const began = performance.now();
    let rejected = false;
    try {
      for (const p of this.plugins) {
        if (!p[step]) continue;
        const started = performance.now();
        try {
          await p[step]!(attrs);
        } catch (err) {
          rejected = true;
          throw err;
        } finally {
          m.observePlugin(p.name, step, attrs.operation, rejected, (performance.now() - started) / 1000);
        }
      }
    } finally {
      m.observeStep(step, attrs.operation, rejected, (performance.now() - began) / 1000);
    }
  }

  names(): string[] {
    return this.plugins.map((p) => p.name);
  }
}
