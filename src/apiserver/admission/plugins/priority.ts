/**
 * Upstream's Priority admission plugin and PriorityClass rules: a new pod's
 * priority and preemption policy come from its PriorityClass (or the global
 * default class, or 0), never from the pod itself; the two system classes
 * exist from the start; user classes stay at or below 1,000,000,000 and at
 * most one is the global default.
 */
import type { PodSpec } from "kubernetes-types/core/v1.js";
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import type { Kube, KubeObject } from "../../../api/kube-object.js";
import { ApiError, invalid, type FieldError } from "../../../api/errors.js";
import type { AdmissionAttributes, AdmissionObject as Obj, AdmissionPlugin } from "../admission.js";

export const SYSTEM_PRIORITY_CLASSES = [
  { name: "system-node-critical", value: 2000001000, description: "Used for system critical pods that must not be moved from their current node." },
  { name: "system-cluster-critical", value: 2000000000, description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary." },
];

const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

export interface PriorityOptions {
  /** The class of that name, looked up in storage when the cache has not seen it yet. */
  getClass(name: string): Promise<PriorityClass | undefined>;
  /** Every class the cache holds. */
  classes(): PriorityClass[];
}

export class Priority implements AdmissionPlugin {
  readonly name = "Priority";

  constructor(private readonly options: PriorityOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.info.group === "" && a.info.resource === "pods" && !a.subresource && (a.operation === "CREATE" || a.operation === "UPDATE")) {
      await this.admitPod(a.object, a.oldObject);
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.info.group === "scheduling.k8s.io" && a.info.resource === "priorityclasses" && (a.operation === "CREATE" || a.operation === "UPDATE")) {
      await this.admitClass(a.object, a.oldObject);
    }
  }

  /** A new pod: priority and preemptionPolicy from its class. */
  private async admitPod(obj: Obj, oldObj: Obj | undefined): Promise<void> {
    const pod = obj as PodPriority;
    const old = oldObj as PodPriority | undefined;
    const spec = (pod.spec ??= {});
    if (old) {
      // Updates keep what creation settled (the fields are immutable).
      spec.priority ??= old.spec?.priority;
      spec.preemptionPolicy ??= old.spec?.preemptionPolicy;
      if (old.spec?.priorityClassName !== undefined) spec.priorityClassName ??= old.spec.priorityClassName;
      return;
    }
    let pc: PriorityClass | undefined;
    if (spec.priorityClassName) {
      pc = await this.options.getClass(spec.priorityClassName);
      if (!pc) throw forbidden(pod, `no PriorityClass with name ${spec.priorityClassName} was found`);
    } else {
      pc = this.options.classes().filter((c) => c.globalDefault).sort((a, b) => (a.value ?? 0) - (b.value ?? 0))[0];
      if (pc) spec.priorityClassName = pc.metadata!.name;
    }
    const priority = pc?.value ?? 0;
    const policy = pc?.preemptionPolicy ?? "PreemptLowerPriority";
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      throw forbidden(pod, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
      throw forbidden(pod, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    spec.priority = priority;
    spec.preemptionPolicy = policy;
  }

  /** A PriorityClass written: the reserved names and values, one global default. */
  private async admitClass(obj: Obj, oldObj: Obj | undefined): Promise<void> {
    const pc = obj as Kube<PriorityClass>;
    const old = oldObj as Kube<PriorityClass> | undefined;
    const errs: FieldError[] = [];
    const name = pc.metadata.name ?? "";
    const system = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    if (name.startsWith("system-") && !system) {
      errs.push({ type: "FieldValueForbidden", field: "metadata.name", detail: "priority class names with 'system-' prefix are reserved for system use only" });
    } else if (system && pc.value !== system.value) {
      errs.push({ type: "FieldValueForbidden", field: "value", detail: `value of ${name} must be ${system.value}` });
    } else if (!system && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      errs.push({ type: "FieldValueForbidden", field: "value", detail: `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}` });
    }
    if (old && old.value !== pc.value) errs.push({ type: "FieldValueForbidden", field: "value", detail: "may not be changed in an update." });
    if (old && (old.preemptionPolicy ?? "PreemptLowerPriority") !== (pc.preemptionPolicy ?? "PreemptLowerPriority")) {
      errs.push({ type: "FieldValueInvalid", field: "preemptionPolicy", value: pc.preemptionPolicy, detail: "field is immutable" });
    }
    if (errs.length) throw invalid("PriorityClass", "scheduling.k8s.io", name, errs);
    if (pc.globalDefault) {
      const other = this.options.classes().find((c) => c.globalDefault && c.metadata?.name !== name);
      if (other) throw new ApiError(403, "Forbidden", `priorityclasses.scheduling.k8s.io "${name}" is forbidden: PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`, { name, group: "scheduling.k8s.io", kind: "priorityclasses" });
    }
  }
}

/** The fields of a pod this plugin reads and sets (a pod may come without a spec). */
type PodPriority = KubeObject & { spec?: Pick<PodSpec, "priority" | "preemptionPolicy" | "priorityClassName"> };

function forbidden(pod: Obj, reason: string): ApiError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? "";
  return new ApiError(403, "Forbidden", `pods "${name}" is forbidden: ${reason}`, { name, kind: "pods" });
}
