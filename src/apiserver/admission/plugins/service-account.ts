/**
 * The ServiceAccount admission plugin (upstream's
 * plugin/pkg/admission/serviceaccount): every pod runs as a service account
 * that exists, and unless told not to, gets its API credentials as the
 * projected volume kube-api-access-xxxxx (a bound token the kubelet renews,
 * the cluster CA, the namespace) mounted at
 * /var/run/secrets/kubernetes.io/serviceaccount in each of its containers.
 *
 * Mutating: on pod CREATE only. Validating: on pod CREATE (and the
 * ephemeralcontainers subresource). Mirror pods (the kubelet's static pods)
 * are never changed and may reference no service account, secret or token.
 */
import { randomInt } from "node:crypto";
import type { Container, EphemeralContainer, Pod, ServiceAccount, Volume, VolumeMount } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../../api/errors.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

export const PLUGIN_NAME = "ServiceAccount";
export const DEFAULT_SERVICE_ACCOUNT_NAME = "default";
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = "kubernetes.io/enforce-mountable-secrets";
export const SERVICE_ACCOUNT_VOLUME_NAME = "kube-api-access";
export const DEFAULT_API_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
/** The expiration the kubelet asks for; the API server extends such tokens (see token-request.ts). */
const TOKEN_EXPIRATION_SECONDS = 3607;

export interface ServiceAccountAdmissionOptions {
  /** The ServiceAccount, or undefined when there is none (a live read, or a cache that falls back to one). */
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  /** Upstream's MountServiceAccountToken (default true). */
  mountServiceAccountToken?: boolean;
  /** Upstream's LimitSecretReferences: enforce mountable secrets for every service account, not only annotated ones. */
  limitSecretReferences?: boolean;
  /** Waits between lookups of a `default` service account not yet made (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** The five characters after kube-api-access- (tests pass a fixed one). */
  randomSuffix?: () => string;
}

/** Upstream's names.SimpleNameGenerator alphabet: no vowels, no look-alike digits. */
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const randomSuffix = () => Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = PLUGIN_NAME;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ServiceAccountAdmissionOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (ignored(attrs) || attrs.operation !== "CREATE" || attrs.subresource !== "") return;
    const pod = attrs.object as Pod;
    // The kubelet deletes a mirror pod whose spec differs from its static pod's: never change one.
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = pod.spec!;
    if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT_NAME;
    const sa = await this.lookup(attrs, spec.serviceAccountName);
    if ((this.options.mountServiceAccountToken ?? true) && shouldAutomount(sa, pod)) this.mountToken(pod);
    if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
      spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
    }
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (ignored(attrs)) return;
    const pod = attrs.object as Pod;
    if (attrs.operation === "UPDATE" && attrs.subresource === "ephemeralcontainers") return this.limitEphemeralContainerSecretReferences(attrs, pod);
    if (attrs.operation !== "CREATE" || attrs.subresource !== "") return;
    const spec = pod.spec ?? { containers: [] };

    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      if (spec.serviceAccountName) throw forbidden(attrs, "a mirror pod may not reference service accounts");
      if (podSecretNames(pod).length) throw forbidden(attrs, "a mirror pod may not reference secrets");
      if ((spec.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken))) {
        throw forbidden(attrs, "a mirror pod may not use ServiceAccountToken volume projections");
      }
      return;
    }
    if (!spec.serviceAccountName) throw forbidden(attrs, `no service account specified for pod ${attrs.namespace}/${pod.metadata?.name ?? ""}`);
    const sa = await this.lookup(attrs, spec.serviceAccountName);
    if (this.enforceMountableSecrets(sa)) {
      const why = limitSecretReferences(sa, pod);
      if (why) throw forbidden(attrs, why);
    }
  }

  /**
   * The service account, or a 403. A pod in a namespace made a moment ago may
   * come before the ServiceAccount controller's `default`: that one is looked
   * up ten times, 100-200 ms apart, as upstream does.
   */
  private async lookup(attrs: AdmissionAttributes, name: string): Promise<ServiceAccount> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? 10 : 1;
    const interval = 100 + randomInt(100);
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await this.sleep(interval);
      let sa: ServiceAccount | undefined;
      try {
        sa = await this.options.getServiceAccount(attrs.namespace, name);
      } catch (err) {
        throw forbidden(attrs, `error looking up service account ${attrs.namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (sa) return sa;
    }
    throw forbidden(attrs, `error looking up service account ${attrs.namespace}/${name}: serviceaccount "${name}" not found`);
  }

  private enforceMountableSecrets(sa: ServiceAccount): boolean {
    if (this.options.limitSecretReferences) return true;
    // Go's strconv.ParseBool.
    return ["1", "t", "T", "true", "TRUE", "True"].includes(sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] ?? "");
  }

  /** Adds the kube-api-access volume and its mount to every container that mounts nothing at the token path. */
  private mountToken(pod: Pod): void {
    const spec = pod.spec!;
    const volumes = spec.volumes ?? [];
    const existing = volumes.find((v) => v.name.startsWith(`${SERVICE_ACCOUNT_VOLUME_NAME}-`));
    let volumeName = existing?.name;
    if (!volumeName) {
      const taken = new Set(volumes.map((v) => v.name));
      do volumeName = `${SERVICE_ACCOUNT_VOLUME_NAME}-${(this.options.randomSuffix ?? randomSuffix)()}`; while (taken.has(volumeName));
    }
    const mount: VolumeMount = { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    let needsVolume = false;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      // A container that mounts something of its own at the path keeps it.
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...(c.volumeMounts ?? []), { ...mount }];
      needsVolume = true;
    }
    if (!existing && needsVolume) spec.volumes = [...volumes, tokenVolume(volumeName)];
  }

  private async limitEphemeralContainerSecretReferences(attrs: AdmissionAttributes, pod: Pod): Promise<void> {
    const spec = pod.spec ?? { containers: [] };
    if (!spec.serviceAccountName) throw forbidden(attrs, `no service account specified for pod ${attrs.namespace}/${pod.metadata?.name ?? ""}`);
    const sa = await this.lookup(attrs, spec.serviceAccountName);
    if (!this.enforceMountableSecrets(sa)) return;
    const mountable = new Set((sa.secrets ?? []).map((s) => s.name));
    const why = envSecretRefs(spec.ephemeralContainers ?? [], "ephemeral container", mountable, sa);
    if (why) throw forbidden(attrs, why);
  }
}

/** Upstream's TokenVolumeSource, with defaultMode 0644 set explicitly. */
export function tokenVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    },
  };
}

function ignored(attrs: AdmissionAttributes): boolean {
  if (attrs.info.group !== "" || attrs.info.resource !== "pods") return true;
  if (attrs.subresource !== "" && attrs.subresource !== "ephemeralcontainers") return true;
  return !attrs.object || typeof attrs.object !== "object";
}

/** The pod's preference wins, then its service account's; the default is to mount. */
function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  if (typeof pod.spec?.automountServiceAccountToken === "boolean") return pod.spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === "boolean") return sa.automountServiceAccountToken;
  return true;
}

/** Upstream's admission.NewForbidden: the pod's name, else its generateName, else "Unknown". */
function forbidden(attrs: AdmissionAttributes, why: string): ApiError {
  const meta = (attrs.object as Pod | undefined)?.metadata;
  const name = attrs.name || meta?.name || meta?.generateName || "Unknown";
  return new ApiError(403, "Forbidden", `pods "${name}" is forbidden: ${why}`, { name, group: "", kind: "pods" });
}

/** Every secret a pod's spec names (upstream's VisitPodSecretNames over all containers). */
function podSecretNames(pod: Pod): string[] {
  const spec = pod.spec ?? { containers: [] };
  const names: string[] = [];
  for (const s of spec.imagePullSecrets ?? []) if (s.name) names.push(s.name);
  const containers: (Container | EphemeralContainer)[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.push(e.secretRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.push(e.valueFrom.secretKeyRef.name);
  }
  for (const v of spec.volumes ?? []) {
    const src = v as Volume & Record<string, { secretRef?: { name?: string }; nodePublishSecretRef?: { name?: string } } | undefined>;
    if (v.secret?.secretName) names.push(v.secret.secretName);
    if (v.projected) for (const p of v.projected.sources ?? []) if (p.secret?.name) names.push(p.secret.name);
    if (v.azureFile?.secretName) names.push(v.azureFile.secretName);
    for (const k of ["cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos"]) if (src[k]?.secretRef?.name) names.push(src[k]!.secretRef!.name!);
    if (v.csi?.nodePublishSecretRef?.name) names.push(v.csi.nodePublishSecretRef.name);
  }
  return names;
}

/** Why the pod may not use a secret its service account does not list, or undefined. */
function limitSecretReferences(sa: ServiceAccount, pod: Pod): string | undefined {
  const spec = pod.spec ?? { containers: [] };
  const mountable = new Set((sa.secrets ?? []).map((s) => s.name));
  const saName = sa.metadata?.name ?? "";
  for (const v of spec.volumes ?? []) {
    const name = v.secret?.secretName;
    if (v.secret && !mountable.has(name)) return `volume with secret.secretName="${name ?? ""}" is not allowed because service account ${saName} does not reference that secret`;
  }
  const why = envSecretRefs(spec.initContainers ?? [], "init container", mountable, sa) ?? envSecretRefs(spec.containers ?? [], "container", mountable, sa);
  if (why) return why;
  const pullable = new Set((sa.imagePullSecrets ?? []).map((s) => s.name));
  for (const [i, ref] of (spec.imagePullSecrets ?? []).entries()) {
    if (!pullable.has(ref.name)) return `spec.imagePullSecrets[${i}].name: Invalid value: ${JSON.stringify(ref.name ?? "")}: is not allowed because service account ${saName} does not reference that imagePullSecret`;
  }
  return undefined;
}

function envSecretRefs(containers: (Container | EphemeralContainer)[], what: string, mountable: Set<string | undefined>, sa: ServiceAccount): string | undefined {
  const saName = sa.metadata?.name ?? "";
  for (const c of containers) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !mountable.has(ref.name)) return `${what} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name ?? ""}" is not allowed because service account ${saName} does not reference that secret`;
    }
    for (const e of c.envFrom ?? []) {
      if (e.secretRef && !mountable.has(e.secretRef.name)) return `${what} ${c.name} with envFrom referencing secret.secretName="${e.secretRef.name ?? ""}" is not allowed because service account ${saName} does not reference that secret`;
    }
  }
  return undefined;
}
