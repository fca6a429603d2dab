/**
 * Upstream's RuntimeClass admission: a new pod that names a RuntimeClass
 * takes its spec.overhead from the class's overhead.podFixed (a pod that
 * states another overhead is refused), and the class's scheduling
 * nodeSelector and tolerations are merged into the pod's, so it lands where
 * that runtime is. A pod naming a class that does not exist is refused
 * (403), as is an overhead no class of the pod's defines.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { RuntimeClass as RuntimeClassObject } from "kubernetes-types/node/v1.js";
import { ExactQuantity } from "../../../api/exact-quantity.js";
import { mergeTolerations } from "../../../api/merge-tolerations.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";
import { admissionForbidden } from "./forbidden.js";

export interface RuntimeClassOptions {
  /** The class of that name: the cache's, or storage's when the cache has not seen it yet. */
  getRuntimeClass(name: string): Promise<RuntimeClassObject | undefined>;
}

export class RuntimeClass implements AdmissionPlugin {
  readonly name = "RuntimeClass";

  constructor(private readonly options: RuntimeClassOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!handles(a)) return;
    const pod = a.object as Pod;
    const rc = await this.classOf(a, pod);
    if (!rc) return;
    const spec = pod.spec!;
    if (rc.overhead?.podFixed) {
      if (Object.keys(spec.overhead ?? {}).length && !sameResources(rc.overhead.podFixed, spec.overhead!)) {
        throw admissionForbidden(a, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      }
      spec.overhead = { ...rc.overhead.podFixed };
    }
    const scheduling = rc.scheduling;
    if (!scheduling) return;
    if (spec.nodeSelector) {
      for (const [key, value] of Object.entries(scheduling.nodeSelector ?? {}).sort(([x], [y]) => x.localeCompare(y))) {
        const podValue = spec.nodeSelector[key];
        if (podValue !== undefined && podValue !== value) {
          throw admissionForbidden(a, `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${podValue}`);
        }
        spec.nodeSelector[key] = value;
      }
    } else if (scheduling.nodeSelector) {
      spec.nodeSelector = { ...scheduling.nodeSelector };
    }
    const merged = mergeTolerations(spec.tolerations ?? [], scheduling.tolerations ?? []);
    if (merged.length || spec.tolerations) spec.tolerations = merged;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!handles(a)) return;
    const pod = a.object as Pod;
    const rc = await this.classOf(a, pod);
    const overhead = pod.spec?.overhead ?? {};
    if (!Object.keys(overhead).length) return;
    if (!rc?.overhead?.podFixed) throw admissionForbidden(a, "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead");
    if (!sameResources(rc.overhead.podFixed, overhead)) throw admissionForbidden(a, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
  }

  private async classOf(a: AdmissionAttributes, pod: Pod): Promise<RuntimeClassObject | undefined> {
    const name = pod.spec?.runtimeClassName;
    if (name === undefined || name === null) return undefined;
    const rc = await this.options.getRuntimeClass(name);
    if (!rc) throw admissionForbidden(a, `pod rejected: RuntimeClass ${JSON.stringify(name)} not found`);
    return rc;
  }
}

/** New pods only, never a subresource. */
function handles(a: AdmissionAttributes): boolean {
  return a.operation === "CREATE" && !a.subresource && a.info.group === "" && a.info.resource === "pods";
}

/** The same resources in the same amounts, however each amount is written (upstream's semantic equality). */
function sameResources(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    const x = ExactQuantity.parse(a[k]!);
    const y = b[k] === undefined ? undefined : ExactQuantity.parse(b[k]!);
    return x && y ? x.cmp(y) === 0 : a[k] === b[k];
  });
}
