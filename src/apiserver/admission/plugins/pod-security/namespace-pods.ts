/**
 * When a namespace's enforce level is tightened, upstream dry-runs the new
 * level against the pods already there and returns warnings (nothing is
 * refused: running pods are not evicted). Bounded as upstream: at most 3000
 * pods and one second, one pod per controller first, identical verdicts
 * folded into one line naming the lexically first pod.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Evaluator } from "./evaluator.js";
import { forbiddenReason } from "./evaluator.js";
import { type LevelVersion, levelVersionString } from "./levels.js";

export const DEFAULT_NAMESPACE_MAX_PODS_TO_CHECK = 3000;
export const DEFAULT_NAMESPACE_POD_CHECK_TIMEOUT_MS = 1000;

export interface NamespacePodsCheck {
  evaluator: Evaluator;
  listPods(namespace: string): Promise<Pod[]>;
  exemptRuntimeClass(name: string | undefined): boolean;
  maxPods: number;
  timeoutMs: number;
  now: () => number;
}

export async function evaluatePodsInNamespace(c: NamespacePodsCheck, namespace: string, enforce: LevelVersion): Promise<string[]> {
  const deadline = c.now() + c.timeoutMs;
  let pods: Pod[];
  try {
    pods = await c.listPods(namespace);
  } catch {
    return ["failed to list pods while checking new PodSecurity enforce level"];
  }
  let prioritized = prioritizePods(pods, c.exemptRuntimeClass);
  const total = prioritized.length;
  if (prioritized.length > c.maxPods) prioritized = prioritized.slice(0, c.maxPods);

  let checked = prioritized.length;
  const podWarnings: string[] = [];
  const counts = new Map<string, { podName: string; podCount: number }>();
  for (let i = 0; i < prioritized.length; i++) {
    const pod = prioritized[i];
    const r = c.evaluator.evaluate(enforce, pod.metadata ?? {}, pod.spec ?? { containers: [] });
    if (!r.allowed) {
      const warning = forbiddenReason(r);
      const name = pod.metadata?.name ?? "";
      const seen = counts.get(warning);
      if (!seen) {
        counts.set(warning, { podName: name, podCount: 1 });
        podWarnings.push(warning);
      } else {
        if (name < seen.podName) seen.podName = name;
        seen.podCount++;
      }
    }
    if (c.now() >= deadline) {
      checked = i + 1;
      break;
    }
  }

  const warnings: string[] = [];
  if (checked < total) warnings.push(`new PodSecurity enforce level only checked against the first ${checked} of ${total} existing pods`);
  if (podWarnings.length) {
    warnings.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`);
  }
  const decorated = podWarnings.map((w) => {
    const { podName, podCount } = counts.get(w)!;
    if (podCount === 1) return `${podName}: ${w}`;
    if (podCount === 2) return `${podName} (and 1 other pod): ${w}`;
    return `${podName} (and ${podCount - 1} other pods): ${w}`;
  });
  decorated.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...warnings, ...decorated];
}

/**
 * Pods with an exempt runtime class are dropped; of pods that share a
 * controller only the first comes early, the rest go last, so that the pod
 * limit covers as many distinct templates as it can.
 */
function prioritizePods(pods: Pod[], exemptRuntimeClass: (name: string | undefined) => boolean): Pod[] {
  const first: Pod[] = [];
  const duplicates: Pod[] = [];
  const seenControllers = new Set<string>();
  for (const pod of pods) {
    if (exemptRuntimeClass(pod.spec?.runtimeClassName)) continue;
    const controller = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (!controller) {
      first.push(pod);
    } else if (seenControllers.has(controller.uid)) {
      duplicates.push(pod);
    } else {
      seenControllers.add(controller.uid);
      first.push(pod);
    }
  }
  return [...first, ...duplicates];
}
