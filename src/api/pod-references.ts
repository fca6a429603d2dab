/**
 * What a pod or a persistent volume names that a node may then read: the
 * edges of the Node authorizer's graph (upstream's podutil.VisitPodSecretNames,
 * VisitPodConfigmapNames and pvutil.VisitPVSecretNames).
 */
import type { Container, EphemeralContainer, PersistentVolume, Pod, SecretReference } from "kubernetes-types/core/v1.js";

const containersOf = (pod: Pod): (Container | EphemeralContainer)[] =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];

/** The names of the Secrets a pod uses: image pull secrets, env and envFrom, and every volume type that takes one. */
export function podSecretNames(pod: Pod): string[] {
  const names = new Set<string>();
  const add = (n: string | undefined) => { if (n) names.add(n); };
  for (const s of pod.spec?.imagePullSecrets ?? []) add(s.name);
  for (const c of containersOf(pod)) {
    for (const e of c.envFrom ?? []) add(e.secretRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name);
  }
  for (const v of pod.spec?.volumes ?? []) {
    add(v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) add(s.secret?.name);
    add(v.azureFile?.secretName);
    add(v.cephfs?.secretRef?.name);
    add(v.cinder?.secretRef?.name);
    add(v.flexVolume?.secretRef?.name);
    add(v.rbd?.secretRef?.name);
    add(v.scaleIO?.secretRef?.name);
    add(v.iscsi?.secretRef?.name);
    add(v.storageos?.secretRef?.name);
    add(v.csi?.nodePublishSecretRef?.name);
  }
  return [...names];
}

/** The names of the ConfigMaps a pod uses: env, envFrom, configMap and projected volumes. */
export function podConfigMapNames(pod: Pod): string[] {
  const names = new Set<string>();
  const add = (n: string | undefined) => { if (n) names.add(n); };
  for (const c of containersOf(pod)) {
    for (const e of c.envFrom ?? []) add(e.configMapRef?.name);
    for (const e of c.env ?? []) add(e.valueFrom?.configMapKeyRef?.name);
  }
  for (const v of pod.spec?.volumes ?? []) {
    add(v.configMap?.name);
    for (const s of v.projected?.sources ?? []) add(s.configMap?.name);
  }
  return [...names];
}

/** The claims a pod mounts, generic ephemeral volumes' included (named `<pod>-<volume>`, as upstream's ephemeral.VolumeClaimName). */
export function podClaimNames(pod: Pod): string[] {
  const names = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) names.add(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) names.add(`${pod.metadata?.name}-${v.name}`);
  }
  return [...names];
}

/**
 * The Secrets (namespace, name) a persistent volume hands to the kubelet:
 * only those the kubelet reads (CSI's node stage, publish and expand secrets,
 * the in-tree plugins' secret references), never the controller's.
 * References without a namespace are in the bound claim's namespace.
 */
export function pvKubeletSecretNames(pv: PersistentVolume): [string, string][] {
  const claimNs = pv.spec?.claimRef?.namespace ?? "default";
  const out: [string, string][] = [];
  const ref = (r: SecretReference | undefined) => { if (r?.name) out.push([r.namespace || claimNs, r.name]); };
  const s = pv.spec ?? {};
  if (s.azureFile?.secretName) out.push([s.azureFile.secretNamespace || claimNs, s.azureFile.secretName]);
  ref(s.cephfs?.secretRef);
  ref(s.cinder?.secretRef);
  ref(s.flexVolume?.secretRef);
  ref(s.rbd?.secretRef);
  ref(s.scaleIO?.secretRef);
  ref(s.iscsi?.secretRef);
  if (s.storageos?.secretRef?.name) out.push([s.storageos.secretRef.namespace || claimNs, s.storageos.secretRef.name]);
  ref(s.csi?.nodePublishSecretRef);
  ref(s.csi?.nodeStageSecretRef);
  ref(s.csi?.nodeExpandSecretRef);
  return out;
}
