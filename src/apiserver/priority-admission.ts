/**
 * Upstream's Priority admission plugin and PriorityClass rules: a new pod's
 * priority and preemption policy come from its PriorityClass (or the global
 * default class, or 0), never from the pod itself; the two system classes
 * exist from the start; user classes stay at or below 1,000,000,000 and at
 * most one is the global default.
 */
import { ApiError, invalid, type FieldError } from "../api/errors.js";
import type { Obj } from "./registry/object-store.js";

export const SYSTEM_PRIORITY_CLASSES = [
  { name: "system-node-critical", value: 2000001000, description: "Used for system critical pods that must not be moved from their current node." },
  { name: "system-cluster-critical", value: 2000000000, description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary." },
];

const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

export class PriorityAdmission {
  /** name -> class, loaded on first use and kept current by stored() and deleted(). */
  private classes?: Map<string, Obj>;

  constructor(private readonly list: () => Promise<Obj[]>) {}

  private async all(): Promise<Map<string, Obj>> {
    if (!this.classes) {
      const items = await this.list();
      this.classes ??= new Map(items.map((c) => [c.metadata.name, c]));
    }
    return this.classes;
  }

  stored(pc: Obj): void { this.classes?.set(pc.metadata.name, pc); }
  deleted(pc: Obj): void { this.classes?.delete(pc.metadata.name); }

  /** A new pod: priority and preemptionPolicy from its class. */
  async admitPod(pod: Obj, old: Obj | undefined): Promise<void> {
    const spec = (pod.spec ??= {});
    if (old) {
      // Updates keep what creation settled (the fields are immutable).
      spec.priority ??= old.spec?.priority;
      spec.preemptionPolicy ??= old.spec?.preemptionPolicy;
      if (old.spec?.priorityClassName !== undefined) spec.priorityClassName ??= old.spec.priorityClassName;
      return;
    }
    const classes = await this.all();
    let pc: Obj | undefined;
    if (spec.priorityClassName) {
      pc = classes.get(spec.priorityClassName);
      if (!pc) throw forbidden(pod, `no PriorityClass with name ${spec.priorityClassName} was found`);
    } else {
      pc = [...classes.values()].filter((c) => c.globalDefault).sort((a, b) => (a.value ?? 0) - (b.value ?? 0))[0];
      if (pc) spec.priorityClassName = pc.metadata.name;
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
  async admitClass(pc: Obj, old: Obj | undefined): Promise<void> {
    const errs: FieldError[] = [];
    const name: string = pc.metadata.name;
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
      const other = [...(await this.all()).values()].find((c) => c.globalDefault && c.metadata.name !== name);
      if (other) throw new ApiError(403, "Forbidden", `priorityclasses.scheduling.k8s.io "${name}" is forbidden: PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`, { name, group: "scheduling.k8s.io", kind: "priorityclasses" });
    }
  }
}

function forbidden(pod: Obj, reason: string): ApiError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? "";
  return new ApiError(403, "Forbidden", `pods "${name}" is forbidden: ${reason}`, { name, kind: "pods" });
}
