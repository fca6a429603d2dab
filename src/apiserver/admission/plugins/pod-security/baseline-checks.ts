/**
 * The baseline level of the Pod Security Standards, check by check, as
 * upstream v1.32 (staging/src/k8s.io/pod-security-admission/policy/check_*.go):
 * same ids, same versions, same forbidden reasons and details word for word.
 * Baseline prevents known privilege escalations; every check here also runs
 * at restricted unless a restricted check overrides it.
 */
import type { PodSpec, SELinuxOptions } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import {
  ALLOWED, type Check, type CheckOptions, type CheckResult, containersPhrase, forbidden, joinQuote, pluralize,
  quote, relaxForUserNamespacePod, sortedSet, visitContainers,
} from "./check.js";

export const HOST_PATH_VOLUMES_ID = "hostPathVolumes";
export const CAPABILITIES_BASELINE_ID = "capabilities_baseline";
export const SECCOMP_BASELINE_ID = "seccompProfile_baseline";

/** spec.hostNetwork, spec.hostPID, spec.hostIPC must be unset or false. */
function hostNamespaces1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const used: string[] = [];
  if (spec.hostNetwork) used.push("hostNetwork");
  if (spec.hostPID) used.push("hostPID");
  if (spec.hostIPC) used.push("hostIPC");
  return used.length ? forbidden("host namespaces", sortedSet(used).join(", ")) : ALLOWED;
}

/** securityContext.privileged must be unset or false. */
function privileged1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.privileged === true) bad.push(c.name);
  });
  return bad.length ? forbidden("privileged", `${containersPhrase(bad)} must not set securityContext.privileged=true`) : ALLOWED;
}

/** The container runtime's default set: adding anything else (NET_RAW, SYS_ADMIN, ...) is forbidden. */
const CAPABILITIES_ALLOWED_1_0 = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

function capabilitiesBaseline1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const added = c.securityContext?.capabilities?.add ?? [];
    const forbiddenCaps = added.filter((cap) => !CAPABILITIES_ALLOWED_1_0.has(cap));
    if (forbiddenCaps.length) {
      bad.push(c.name);
      caps.push(...forbiddenCaps);
    }
  });
  if (!bad.length) return ALLOWED;
  return forbidden("non-default capabilities",
    `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
}

function hostPathVolumes1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const names = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  return names.length ? forbidden("hostPath volumes", `${pluralize("volume", "volumes", names.length)} ${joinQuote(names)}`) : ALLOWED;
}

/** containers[*].ports[*].hostPort must be unset or 0. */
function hostPorts1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  visitContainers(spec, (c) => {
    const used = (c.ports ?? []).filter((p) => p.hostPort).map((p) => String(p.hostPort));
    if (used.length) {
      bad.push(c.name);
      ports.push(...used);
    }
  });
  if (!bad.length) return ALLOWED;
  const list = sortedSet(ports);
  return forbidden("hostPort", [
    containersPhrase(bad), pluralize("uses", "use", bad.length), pluralize("hostPort", "hostPorts", list.length), list.join(", "),
  ].join(" "));
}

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function allowedAppArmorAnnotation(v: string): boolean {
  return v === "" || v === "runtime/default" || v.startsWith("localhost/");
}

function allowedAppArmorType(t: string): boolean {
  return t === "RuntimeDefault" || t === "Localhost";
}

/**
 * AppArmor may be RuntimeDefault or Localhost, never Unconfined: the
 * appArmorProfile fields (v1.30+ API) and the deprecated beta annotations.
 */
function appArmorProfile1_0(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !allowedAppArmorType(podProfile.type ?? "")) {
    setters.push("pod");
    values.push(podProfile.type ?? "");
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const profile = c.securityContext?.appArmorProfile;
    if (profile && !allowedAppArmorType(profile.type ?? "")) {
      bad.push(c.name);
      values.push(profile.type ?? "");
    }
  });
  if (bad.length) setters.push(containersPhrase(bad));
  const valueList = sortedSet(values);
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(v))
    .map(([k, v]) => `${k}=${quote(v)}`)
    .sort();
  if (annotations.length) {
    valueList.push(...annotations);
    setters.push(pluralize("annotation", "annotations", annotations.length));
  }
  if (!setters.length) return ALLOWED;
  return forbidden(pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.length),
    `${setters.join(" and ")} must not set AppArmor profile type to ${joinQuote(valueList)}`);
}

const SELINUX_TYPES_1_0 = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
/** v1.31 allows container_engine_t too (for container engines run in pods). */
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, "container_engine_t"]);

/** seLinuxOptions.type from an allowed set; user and role never set. */
function seLinuxOptions(allowedTypes: Set<string>) {
  return (_meta: ObjectMeta, spec: PodSpec): CheckResult => {
    const setters: string[] = [];
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: SELinuxOptions): boolean => {
      let ok = true;
      const type = o.type ?? "";
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.push(type);
      }
      if (o.user) { ok = false; setUser = true; }
      if (o.role) { ok = false; setRole = true; }
      return ok;
    };
    const podOptions = spec.securityContext?.seLinuxOptions;
    if (podOptions && !valid(podOptions)) setters.push("pod");
    const bad: string[] = [];
    visitContainers(spec, (c) => {
      const o = c.securityContext?.seLinuxOptions;
      if (o && !valid(o)) bad.push(c.name);
    });
    if (bad.length) setters.push(containersPhrase(bad));
    if (!setters.length) return ALLOWED;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length) data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
    if (setUser) data.push("user may not be set");
    if (setRole) data.push("role may not be set");
    return forbidden("seLinuxOptions", `${setters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`);
  };
}

/** procMount must be unset or "Default" (the masked /proc). */
function procMount1_0(_meta: ObjectMeta, spec: PodSpec, opts: CheckOptions): CheckResult {
  if (relaxForUserNamespacePod(spec, opts)) return ALLOWED;
  const bad: string[] = [];
  const types: string[] = [];
  visitContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm !== undefined && pm !== "Default") {
      bad.push(c.name);
      types.push(pm);
    }
  });
  if (!bad.length) return ALLOWED;
  return forbidden("procMount", `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`);
}

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

function validSeccompAnnotation(v: string): boolean {
  return v === "runtime/default" || v === "docker/default" || v.startsWith("localhost/");
}

export function validSeccompType(t: string | undefined): boolean {
  return t === "Localhost" || t === "RuntimeDefault";
}

/** Before v1.19 seccomp was set by alpha annotations only. */
function seccompProfileBaseline1_0(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const annotations = meta.annotations ?? {};
  const bad: string[] = [];
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) bad.push(`${SECCOMP_POD_ANNOTATION}=${quote(podValue)}`);
  visitContainers(spec, (c) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    const v = annotations[key];
    if (v !== undefined && !validSeccompAnnotation(v)) bad.push(`${key}=${quote(v)}`);
  });
  const list = sortedSet(bad);
  return list.length ? forbidden("seccompProfile", `forbidden ${pluralize("annotation", "annotations", list.length)} ${list.join(", ")}`) : ALLOWED;
}

/** seccompProfile.type, where set, must be RuntimeDefault or Localhost (never Unconfined). */
function seccompProfileBaseline1_19(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const values: string[] = [];
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile && !validSeccompType(podProfile.type)) {
    setters.push("pod");
    values.push(podProfile.type ?? "");
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p && !validSeccompType(p.type)) {
      bad.push(c.name);
      values.push(p.type ?? "");
    }
  });
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return forbidden("seccompProfile", `${setters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`);
}

/** The "safe" sysctls: namespaced, and isolated from other pods on the node. */
const SYSCTLS_1_0 = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

function sysctls(allowedList: string[]) {
  const allowed = new Set(allowedList);
  return (_meta: ObjectMeta, spec: PodSpec): CheckResult => {
    const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !allowed.has(n));
    return bad.length ? forbidden("forbidden sysctls", bad.join(", ")) : ALLOWED;
  };
}

/** windowsOptions.hostProcess must be unset or false, on the pod and every container. */
function windowsHostProcess1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess === true) bad.push(c.name);
  });
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push("pod");
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return forbidden("hostProcess", `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`);
}

export const BASELINE_CHECKS: Check[] = [
  { id: "appArmorProfile", level: "baseline", versions: [{ minimumVersion: 0, checkPod: appArmorProfile1_0 }] },
  { id: CAPABILITIES_BASELINE_ID, level: "baseline", versions: [{ minimumVersion: 0, checkPod: capabilitiesBaseline1_0 }] },
  { id: "hostNamespaces", level: "baseline", versions: [{ minimumVersion: 0, checkPod: hostNamespaces1_0 }] },
  { id: HOST_PATH_VOLUMES_ID, level: "baseline", versions: [{ minimumVersion: 0, checkPod: hostPathVolumes1_0 }] },
  { id: "hostPorts", level: "baseline", versions: [{ minimumVersion: 0, checkPod: hostPorts1_0 }] },
  { id: "privileged", level: "baseline", versions: [{ minimumVersion: 0, checkPod: privileged1_0 }] },
  { id: "procMount", level: "baseline", versions: [{ minimumVersion: 0, checkPod: procMount1_0 }] },
  {
    id: "seLinuxOptions", level: "baseline", versions: [
      { minimumVersion: 0, checkPod: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimumVersion: 31, checkPod: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: SECCOMP_BASELINE_ID, level: "baseline", versions: [
      { minimumVersion: 0, checkPod: seccompProfileBaseline1_0 },
      { minimumVersion: 19, checkPod: seccompProfileBaseline1_19 },
    ],
  },
  {
    id: "sysctls", level: "baseline", versions: [
      { minimumVersion: 0, checkPod: sysctls(SYSCTLS_1_0) },
      { minimumVersion: 27, checkPod: sysctls(SYSCTLS_1_27) },
      { minimumVersion: 29, checkPod: sysctls(SYSCTLS_1_29) },
      { minimumVersion: 32, checkPod: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: "windowsHostProcess", level: "baseline", versions: [{ minimumVersion: 0, checkPod: windowsHostProcess1_0 }] },
];
