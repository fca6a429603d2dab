/**
 * The restricted level of the Pod Security Standards, as upstream v1.32:
 * current pod-hardening practice on top of baseline. Three of these replace a
 * baseline check at restricted level (overrideCheckIDs), so that a pod is not
 * told the same thing twice.
 */
import type { PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import {
  ALLOWED, type Check, type CheckOptions, type CheckResult, containersPhrase, forbidden, isWindowsPod, joinQuote,
  pluralize, relaxForUserNamespacePod, sortedSet, visitContainers,
} from "./check.js";
import { CAPABILITIES_BASELINE_ID, HOST_PATH_VOLUMES_ID, SECCOMP_BASELINE_ID, validSeccompType } from "./baseline-checks.js";

/** Volume sources restricted allows: the ones that carry no host or network storage of their own. */
const ALLOWED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"] as const;

/** Restricted volume sources by name, in upstream's order of precedence when one volume sets several. */
const RESTRICTED_VOLUME_SOURCES = [
  "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume",
  "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk",
  "portworxVolume", "scaleIO", "storageos",
] as const;

function restrictedVolumes1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  for (const volume of spec.volumes ?? []) {
    const v = volume as unknown as Record<string, unknown>;
    if (ALLOWED_VOLUME_SOURCES.some((k) => v[k] != null)) continue;
    bad.push(volume.name);
    types.push(RESTRICTED_VOLUME_SOURCES.find((k) => v[k] != null) ?? "unknown");
  }
  if (!bad.length) return ALLOWED;
  const typeList = sortedSet(types);
  return forbidden("restricted volume types", [
    pluralize("volume", "volumes", bad.length), joinQuote(bad), pluralize("uses", "use", bad.length),
    pluralize("restricted volume type", "restricted volume types", typeList.length), joinQuote(typeList),
  ].join(" "));
}

function allowPrivilegeEscalation1_8(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(c.name);
  });
  return bad.length
    ? forbidden("allowPrivilegeEscalation != false", `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`)
    : ALLOWED;
}

/** From v1.25 a pod that declares spec.os.name=windows is exempt: the Linux-only fields cannot be set on it. */
function unlessWindows(check: (meta: ObjectMeta, spec: PodSpec, opts: CheckOptions) => CheckResult) {
  return (meta: ObjectMeta, spec: PodSpec, opts: CheckOptions): CheckResult => (isWindowsPod(spec) ? ALLOWED : check(meta, spec, opts));
}

/** runAsNonRoot=true on the pod, or on every container; false anywhere is forbidden. */
function runAsNonRoot1_0(_meta: ObjectMeta, spec: PodSpec, opts: CheckOptions): CheckResult {
  if (relaxForUserNamespacePod(spec, opts)) return ALLOWED;
  const setters: string[] = [];
  let podRunAsNonRoot = false;
  const podValue = spec.securityContext?.runAsNonRoot;
  if (podValue === false) setters.push("pod");
  else if (podValue === true) podRunAsNonRoot = true;
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  visitContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v === false) explicitlyBad.push(c.name);
    else if (v === undefined && !podRunAsNonRoot) implicitlyBad.push(c.name);
  });
  if (explicitlyBad.length) setters.push(containersPhrase(explicitlyBad));
  if (setters.length) return forbidden("runAsNonRoot != true", `${setters.join(" and ")} must not set securityContext.runAsNonRoot=false`);
  if (implicitlyBad.length) return forbidden("runAsNonRoot != true", `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`);
  return ALLOWED;
}

/** runAsUser must not be 0 on the pod or any container. */
function runAsUser1_23(_meta: ObjectMeta, spec: PodSpec, opts: CheckOptions): CheckResult {
  if (relaxForUserNamespacePod(spec, opts)) return ALLOWED;
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push("pod");
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(c.name);
  });
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? forbidden("runAsUser=0", `${setters.join(" and ")} must not set runAsUser=0`) : ALLOWED;
}

/** seccompProfile.type must be RuntimeDefault or Localhost, on the pod or on every container. */
function seccompProfileRestricted1_19(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  let podSeccompSet = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile) {
    if (!validSeccompType(podProfile.type)) {
      setters.push("pod");
      values.push(podProfile.type ?? "");
    } else {
      podSeccompSet = true;
    }
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p) {
      if (!validSeccompType(p.type)) {
        explicitlyBad.push(c.name);
        values.push(p.type ?? "");
      }
    } else if (!podSeccompSet) {
      implicitlyBad.push(c.name);
    }
  });
  if (explicitlyBad.length) setters.push(containersPhrase(explicitlyBad));
  if (setters.length) {
    return forbidden("seccompProfile", `${setters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`);
  }
  if (implicitlyBad.length) {
    return forbidden("seccompProfile", `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
  }
  return ALLOWED;
}

/** Every container drops ALL, and adds back at most NET_BIND_SERVICE. */
function capabilitiesRestricted1_22(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const capabilities = c.securityContext?.capabilities;
    if (!capabilities) {
      missingDropAll.push(c.name);
      return;
    }
    if (!(capabilities.drop ?? []).includes("ALL")) missingDropAll.push(c.name);
    const extra = (capabilities.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (extra.length) {
      addingForbidden.push(c.name);
      caps.push(...extra);
    }
  });
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length) {
    details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
  }
  return details.length ? forbidden("unrestricted capabilities", details.join("; ")) : ALLOWED;
}

export const RESTRICTED_CHECKS: Check[] = [
  {
    id: "allowPrivilegeEscalation", level: "restricted", versions: [
      // The field exists from v1.8.
      { minimumVersion: 8, checkPod: allowPrivilegeEscalation1_8 },
      { minimumVersion: 25, checkPod: unlessWindows(allowPrivilegeEscalation1_8) },
    ],
  },
  {
    id: "capabilities_restricted", level: "restricted", versions: [
      { minimumVersion: 22, checkPod: capabilitiesRestricted1_22, overrideCheckIDs: [CAPABILITIES_BASELINE_ID] },
      { minimumVersion: 25, checkPod: unlessWindows(capabilitiesRestricted1_22), overrideCheckIDs: [CAPABILITIES_BASELINE_ID] },
    ],
  },
  {
    id: "restrictedVolumes", level: "restricted", versions: [
      { minimumVersion: 0, checkPod: restrictedVolumes1_0, overrideCheckIDs: [HOST_PATH_VOLUMES_ID] },
    ],
  },
  { id: "runAsNonRoot", level: "restricted", versions: [{ minimumVersion: 0, checkPod: runAsNonRoot1_0 }] },
  { id: "runAsUser", level: "restricted", versions: [{ minimumVersion: 23, checkPod: runAsUser1_23 }] },
  {
    id: "seccompProfile_restricted", level: "restricted", versions: [
      { minimumVersion: 19, checkPod: seccompProfileRestricted1_19, overrideCheckIDs: [SECCOMP_BASELINE_ID] },
      { minimumVersion: 25, checkPod: unlessWindows(seccompProfileRestricted1_19), overrideCheckIDs: [SECCOMP_BASELINE_ID] },
    ],
  },
];
