/**
 * Which pod updates PodSecurity evaluates (upstream's isSignificantPodUpdate).
 * A pod's spec is immutable but for a few fields; of those only container
 * images, the seccomp annotations and added ephemeral containers can change
 * the verdict. Label, annotation, toleration or activeDeadlineSeconds updates
 * are let through, so an existing pod in a namespace whose enforce level was
 * tightened can still be relabelled or finalised.
 */
import type { Container, Pod } from "kubernetes-types/core/v1.js";

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

type Annotations = Record<string, string>;

export function isSignificantPodUpdate(pod: Pod, oldPod: Pod): boolean {
  const a = pod.metadata?.annotations ?? {};
  const oldA = oldPod.metadata?.annotations ?? {};
  if (a[SECCOMP_POD_ANNOTATION] !== oldA[SECCOMP_POD_ANNOTATION]) return true;
  const containers = pod.spec?.containers ?? [];
  const oldContainers = oldPod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const oldInits = oldPod.spec?.initContainers ?? [];
  if (containers.length !== oldContainers.length || inits.length !== oldInits.length) return true;
  for (let i = 0; i < containers.length; i++) if (significantContainerUpdate(containers[i], oldContainers[i], a, oldA)) return true;
  for (let i = 0; i < inits.length; i++) if (significantContainerUpdate(inits[i], oldInits[i], a, oldA)) return true;
  const oldEphemeral = oldPod.spec?.ephemeralContainers ?? [];
  for (const c of pod.spec?.ephemeralContainers ?? []) {
    const old = oldEphemeral.find((o) => o.name === c.name);
    if (!old) return true; // an ephemeral container was added: kubectl debug must meet the namespace's level
    if (significantContainerUpdate(c as Container, old as Container, a, oldA)) return true;
  }
  return false;
}

function significantContainerUpdate(c: Container, old: Container, a: Annotations, oldA: Annotations): boolean {
  if (c.image !== old.image) return true;
  const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
  return a[key] !== oldA[key];
}
