/**
 * The ordered admission chain: every plugin's mutating step, in order, then
 * (after the strategy has validated the object) every plugin's validating
 * step, in order, as upstream runs its mutating and validating chains.
 */
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.js";

export class AdmissionChain {
  constructor(readonly plugins: AdmissionPlugin[]) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(attrs);
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(attrs);
  }

  names(): string[] {
    return this.plugins.map((p) => p.name);
  }
}
