/**
 * Upstream's DefaultTolerationSeconds: a new pod that does not say how long
 * it tolerates its node being not-ready or unreachable tolerates it for 300
 * seconds, after which the node lifecycle controller evicts it.
 */
import type { Pod, Toleration } from "kubernetes-types/core/v1.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

const DEFAULT_SECONDS = 300;
const TAINTS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = "DefaultTolerationSeconds";

  admit(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource || a.info.group !== "" || a.info.resource !== "pods") return;
    const pod = a.object as Pod;
    const spec = (pod.spec ??= { containers: [] });
    const tolerations: Toleration[] = (spec.tolerations ??= []);
    for (const key of TAINTS) {
      const covered = tolerations.some((t) => (t.key === key || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoExecute"));
      if (!covered) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: DEFAULT_SECONDS });
    }
  }
}
