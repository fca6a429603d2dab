import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Container, PodSpec, SecurityContext, Volume } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { CheckOptions, CheckPodFn } from "./check.js";
import { DEFAULT_CHECKS } from "./evaluator.js";

/** The implementation of check `id` in force at policy version v1.<minor>. */
function checkAt(id: string, minor: number): CheckPodFn {
  const check = DEFAULT_CHECKS.find((c) => c.id === id);
  assert.ok(check, `no check ${id}`);
  const vc = [...check.versions].reverse().find((v) => v.minimumVersion <= minor);
  assert.ok(vc, `check ${id} not in force at v1.${minor}`);
  return vc.checkPod;
}

const c = (name: string, securityContext?: SecurityContext, extra: Partial<Container> = {}): Container => ({ name, securityContext, ...extra });

interface Case {
  name: string;
  check: string;
  /** Policy version minor; 32 (latest) unless given. */
  version?: number;
  meta?: ObjectMeta;
  spec: Partial<PodSpec>;
  opts?: CheckOptions;
  /** Undefined: allowed. */
  reason?: string;
  detail?: string;
}

const cases: Case[] = [
  // hostNamespaces
  { name: "host namespaces unset", check: "hostNamespaces", spec: { hostNetwork: false } },
  { name: "all host namespaces", check: "hostNamespaces", spec: { hostPID: true, hostNetwork: true, hostIPC: true }, reason: "host namespaces", detail: "hostIPC, hostNetwork, hostPID" },
  { name: "hostNetwork", check: "hostNamespaces", spec: { hostNetwork: true }, reason: "host namespaces", detail: "hostNetwork" },

  // privileged
  {
    name: "privileged containers", check: "privileged",
    spec: { initContainers: [c("i", { privileged: true })], containers: [c("a"), c("b", { privileged: false }), c("c", { privileged: true })] },
    reason: "privileged", detail: `containers "i", "c" must not set securityContext.privileged=true`,
  },
  { name: "privileged ephemeral container", check: "privileged", spec: { containers: [c("a")], ephemeralContainers: [{ name: "dbg", securityContext: { privileged: true } }] }, reason: "privileged", detail: `container "dbg" must not set securityContext.privileged=true` },
  { name: "privileged false", check: "privileged", spec: { containers: [c("a", { privileged: false })] } },

  // capabilities_baseline
  {
    name: "non-default capabilities", check: "capabilities_baseline",
    spec: { containers: [c("a", { capabilities: { add: ["NET_RAW", "CHOWN"] } }), c("b", { capabilities: { add: ["SYS_ADMIN", "NET_RAW"] } }), c("c", { capabilities: { add: ["KILL"] } })] },
    reason: "non-default capabilities", detail: `containers "a", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add`,
  },
  { name: "default capabilities", check: "capabilities_baseline", spec: { containers: [c("a", { capabilities: { add: ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"], drop: ["ALL"] } })] } },

  // hostPathVolumes
  {
    name: "hostPath volumes", check: "hostPathVolumes",
    spec: { volumes: [{ name: "a", hostPath: { path: "/a" } }, { name: "b", emptyDir: {} }, { name: "c", hostPath: { path: "/c" } }] },
    reason: "hostPath volumes", detail: `volumes "a", "c"`,
  },
  { name: "one hostPath volume", check: "hostPathVolumes", spec: { volumes: [{ name: "a", hostPath: { path: "/a" } }] }, reason: "hostPath volumes", detail: `volume "a"` },

  // hostPorts (upstream's table)
  {
    name: "one container, one host port", check: "hostPorts",
    spec: { containers: [c("a", undefined, { ports: [{ containerPort: 1, hostPort: 0 }] }), c("b", undefined, { ports: [{ containerPort: 1, hostPort: 0 }, { containerPort: 2, hostPort: 20 }] })] },
    reason: "hostPort", detail: `container "b" uses hostPort 20`,
  },
  {
    name: "multiple containers, multiple host ports", check: "hostPorts",
    spec: {
      containers: [
        c("a", undefined, { ports: [{ containerPort: 1 }] }),
        c("b", undefined, { ports: [{ containerPort: 1, hostPort: 10 }, { containerPort: 2, hostPort: 20 }] }),
        c("c", undefined, { ports: [{ containerPort: 1, hostPort: 10 }, { containerPort: 2, hostPort: 30 }] }),
      ],
    },
    reason: "hostPort", detail: `containers "b", "c" use hostPorts 10, 20, 30`,
  },

  // appArmorProfile (upstream's table)
  { name: "apparmor runtime default pod", check: "appArmorProfile", spec: { securityContext: { appArmorProfile: { type: "RuntimeDefault" } } } },
  { name: "apparmor allowed annotations", check: "appArmorProfile", meta: { annotations: { "container.apparmor.security.beta.kubernetes.io/test": "localhost/sec-profile01", env: "dev" } }, spec: {} },
  { name: "unconfined pod", check: "appArmorProfile", spec: { securityContext: { appArmorProfile: { type: "Unconfined" } } }, reason: "forbidden AppArmor profile", detail: `pod must not set AppArmor profile type to "Unconfined"` },
  {
    name: "unconfined init container", check: "appArmorProfile",
    spec: { securityContext: { appArmorProfile: { type: "RuntimeDefault" } }, containers: [c("foo")], initContainers: [c("bar", { appArmorProfile: { type: "Unconfined" } })] },
    reason: "forbidden AppArmor profile", detail: `container "bar" must not set AppArmor profile type to "Unconfined"`,
  },
  {
    name: "apparmor annotations", check: "appArmorProfile",
    meta: {
      annotations: {
        "container.apparmor.security.beta.kubernetes.io/": "bogus",
        "container.apparmor.security.beta.kubernetes.io/a": "",
        "container.apparmor.security.beta.kubernetes.io/b": "runtime/default",
        "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
        "container.apparmor.security.beta.kubernetes.io/d": "localhost/foo",
        "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
        "container.apparmor.security.beta.kubernetes.io/f": "unknown",
      },
    },
    spec: {},
    reason: "forbidden AppArmor profiles",
    detail: `annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/=\\"bogus\\"", "container.apparmor.security.beta.kubernetes.io/e=\\"unconfined\\"", "container.apparmor.security.beta.kubernetes.io/f=\\"unknown\\""`,
  },
  {
    name: "apparmor pod, container and annotation", check: "appArmorProfile",
    meta: { annotations: { "container.apparmor.security.beta.kubernetes.io/a": "unconfined" } },
    spec: { securityContext: { appArmorProfile: { type: "Unconfined" } }, containers: [c("a", { appArmorProfile: { type: "Unconfined" } })] },
    reason: "forbidden AppArmor profiles",
    detail: `pod and container "a" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a=\\"unconfined\\""`,
  },

  // seLinuxOptions (upstream's table for 1.31, and 1.0's type set)
  {
    name: "selinux invalid pod and containers", check: "seLinuxOptions",
    spec: {
      securityContext: { seLinuxOptions: { type: "foo", user: "bar", role: "baz" } },
      containers: [
        c("a", { seLinuxOptions: { type: "container_t" } }), c("b", { seLinuxOptions: { type: "container_init_t" } }),
        c("c", { seLinuxOptions: { type: "container_kvm_t" } }), c("d", { seLinuxOptions: { type: "container_engine_t" } }),
        c("e", { seLinuxOptions: { type: "bar" } }), c("f", { seLinuxOptions: { user: "bar" } }), c("g", { seLinuxOptions: { role: "baz" } }),
      ],
    },
    reason: "seLinuxOptions", detail: `pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set`,
  },
  { name: "selinux bad type", check: "seLinuxOptions", spec: { securityContext: { seLinuxOptions: { type: "bad" } } }, reason: "seLinuxOptions", detail: `pod set forbidden securityContext.seLinuxOptions: type "bad"` },
  { name: "selinux bad user", check: "seLinuxOptions", spec: { securityContext: { seLinuxOptions: { user: "bad" } } }, reason: "seLinuxOptions", detail: `pod set forbidden securityContext.seLinuxOptions: user may not be set` },
  { name: "selinux bad role", check: "seLinuxOptions", spec: { securityContext: { seLinuxOptions: { role: "bad" } } }, reason: "seLinuxOptions", detail: `pod set forbidden securityContext.seLinuxOptions: role may not be set` },
  { name: "container_engine_t allowed from v1.31", check: "seLinuxOptions", version: 31, spec: { containers: [c("a", { seLinuxOptions: { type: "container_engine_t" } })] } },
  { name: "container_engine_t forbidden before v1.31", check: "seLinuxOptions", version: 30, spec: { containers: [c("a", { seLinuxOptions: { type: "container_engine_t" } })] }, reason: "seLinuxOptions", detail: `container "a" set forbidden securityContext.seLinuxOptions: type "container_engine_t"` },

  // procMount
  { name: "procMount default", check: "procMount", spec: { containers: [c("a", { procMount: "Default" })] } },
  {
    name: "procMount unmasked", check: "procMount",
    spec: { containers: [c("a", { procMount: "Unmasked" }), c("b", { procMount: "Default" }), c("c", { procMount: "Unmasked" })] },
    reason: "procMount", detail: `containers "a", "c" must not set securityContext.procMount to "Unmasked"`,
  },
  { name: "procMount unmasked, user namespace, relaxation off (v1.32 default)", check: "procMount", spec: { hostUsers: false, containers: [c("a", { procMount: "Unmasked" })] }, reason: "procMount", detail: `container "a" must not set securityContext.procMount to "Unmasked"` },
  { name: "procMount unmasked, user namespace, relaxation on", check: "procMount", spec: { hostUsers: false, containers: [c("a", { procMount: "Unmasked" })] }, opts: { relaxPolicyForUserNamespacePods: true } },

  // seccompProfile_baseline
  { name: "seccomp runtime default", check: "seccompProfile_baseline", spec: { securityContext: { seccompProfile: { type: "RuntimeDefault" } }, containers: [c("a", { seccompProfile: { type: "Localhost", localhostProfile: "p.json" } })] } },
  {
    name: "seccomp unconfined pod and containers", check: "seccompProfile_baseline",
    spec: { securityContext: { seccompProfile: { type: "Unconfined" } }, containers: [c("a"), c("c", { seccompProfile: { type: "Unconfined" } }), c("d", { seccompProfile: { type: "Unconfined" } })] },
    reason: "seccompProfile", detail: `pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"`,
  },
  {
    name: "seccomp annotations before v1.19", check: "seccompProfile_baseline", version: 18,
    meta: { annotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined", "container.seccomp.security.alpha.kubernetes.io/a": "runtime/default", "container.seccomp.security.alpha.kubernetes.io/b": "unconfined" } },
    spec: { containers: [c("a"), c("b")] },
    reason: "seccompProfile", detail: `forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined"`,
  },
  { name: "seccomp fields ignored before v1.19", check: "seccompProfile_baseline", version: 18, spec: { securityContext: { seccompProfile: { type: "Unconfined" } } } },

  // sysctls
  { name: "safe sysctls", check: "sysctls", spec: { securityContext: { sysctls: [{ name: "net.ipv4.ip_local_port_range", value: "1024 65535" }, { name: "net.ipv4.tcp_rmem", value: "4096 87380 16777216" }] } } },
  {
    name: "unsafe sysctls", check: "sysctls",
    spec: { securityContext: { sysctls: [{ name: "kernel.msgmax", value: "1" }, { name: "kernel.shm_rmid_forced", value: "0" }, { name: "net.core.somaxconn", value: "1" }] } },
    reason: "forbidden sysctls", detail: "kernel.msgmax, net.core.somaxconn",
  },
  { name: "tcp_rmem forbidden before v1.32", check: "sysctls", version: 31, spec: { securityContext: { sysctls: [{ name: "net.ipv4.tcp_rmem", value: "1" }] } }, reason: "forbidden sysctls", detail: "net.ipv4.tcp_rmem" },
  { name: "tcp_keepalive_time allowed from v1.29", check: "sysctls", version: 29, spec: { securityContext: { sysctls: [{ name: "net.ipv4.tcp_keepalive_time", value: "1" }] } } },
  { name: "tcp_keepalive_time forbidden before v1.29", check: "sysctls", version: 28, spec: { securityContext: { sysctls: [{ name: "net.ipv4.tcp_keepalive_time", value: "1" }] } }, reason: "forbidden sysctls", detail: "net.ipv4.tcp_keepalive_time" },
  { name: "ip_local_reserved_ports from v1.27", check: "sysctls", version: 26, spec: { securityContext: { sysctls: [{ name: "net.ipv4.ip_local_reserved_ports", value: "1" }] } }, reason: "forbidden sysctls", detail: "net.ipv4.ip_local_reserved_ports" },

  // windowsHostProcess
  {
    name: "hostProcess pod and containers", check: "windowsHostProcess",
    spec: { securityContext: { windowsOptions: { hostProcess: true } }, containers: [c("a", { windowsOptions: { hostProcess: true } }), c("b", { windowsOptions: { hostProcess: false } }), c("c", { windowsOptions: { hostProcess: true } })] },
    reason: "hostProcess", detail: `pod and containers "a", "c" must not set securityContext.windowsOptions.hostProcess=true`,
  },
  { name: "hostProcess container", check: "windowsHostProcess", spec: { containers: [c("a", { windowsOptions: { hostProcess: true } })] }, reason: "hostProcess", detail: `container "a" must not set securityContext.windowsOptions.hostProcess=true` },

  // restrictedVolumes (upstream's table; image volumes are not allowed until v1.33)
  {
    name: "restricted volume types", check: "restrictedVolumes",
    spec: {
      volumes: [
        { name: "a1", emptyDir: {} }, { name: "a2", secret: {} }, { name: "a3", persistentVolumeClaim: { claimName: "x" } },
        { name: "a4", downwardAPI: {} }, { name: "a5", configMap: {} }, { name: "a6", projected: {} }, { name: "a7", csi: { driver: "d" } },
        { name: "a8", ephemeral: {} },
        ...([
          "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder",
          "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
          "scaleIO", "storageos",
        ].map((type, i) => ({ name: `b${i + 1}`, [type]: {} }) as unknown as Volume)),
        { name: "c1" },
      ],
    },
    reason: "restricted volume types",
    detail: `volumes "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "c1"` +
      ` use restricted volume types "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", ` +
      `"hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"`,
  },
  { name: "one hostPath volume (restricted)", check: "restrictedVolumes", spec: { volumes: [{ name: "host", hostPath: { path: "/" } }] }, reason: "restricted volume types", detail: `volume "host" uses restricted volume type "hostPath"` },
  { name: "image volume is unknown in v1.32", check: "restrictedVolumes", spec: { volumes: [{ name: "img", image: { reference: "busybox" } } as Volume] }, reason: "restricted volume types", detail: `volume "img" uses restricted volume type "unknown"` },

  // allowPrivilegeEscalation
  {
    name: "allowPrivilegeEscalation", check: "allowPrivilegeEscalation",
    spec: { containers: [c("a"), c("b", {}), c("c", { allowPrivilegeEscalation: true }), c("d", { allowPrivilegeEscalation: false })] },
    reason: "allowPrivilegeEscalation != false", detail: `containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false`,
  },
  { name: "allowPrivilegeEscalation windows pod exempt from v1.25", check: "allowPrivilegeEscalation", spec: { os: { name: "windows" }, containers: [c("a")] } },
  { name: "allowPrivilegeEscalation windows pod checked before v1.25", check: "allowPrivilegeEscalation", version: 24, spec: { os: { name: "windows" }, containers: [c("a")] }, reason: "allowPrivilegeEscalation != false", detail: `container "a" must set securityContext.allowPrivilegeEscalation=false` },
  { name: "allowPrivilegeEscalation linux pod", check: "allowPrivilegeEscalation", spec: { os: { name: "linux" }, containers: [c("a")] }, reason: "allowPrivilegeEscalation != false", detail: `container "a" must set securityContext.allowPrivilegeEscalation=false` },

  // runAsNonRoot
  { name: "runAsNonRoot pod true", check: "runAsNonRoot", spec: { securityContext: { runAsNonRoot: true }, containers: [c("a"), c("b", { runAsNonRoot: true })] } },
  {
    name: "runAsNonRoot explicit false", check: "runAsNonRoot",
    spec: { containers: [c("a"), c("b", {}), c("c", { runAsNonRoot: false }), c("d", { runAsNonRoot: false }), c("e", { runAsNonRoot: true })] },
    reason: "runAsNonRoot != true", detail: `containers "c", "d" must not set securityContext.runAsNonRoot=false`,
  },
  {
    name: "runAsNonRoot pod false", check: "runAsNonRoot",
    spec: { securityContext: { runAsNonRoot: false }, containers: [c("a"), c("b", { runAsNonRoot: false })] },
    reason: "runAsNonRoot != true", detail: `pod and container "b" must not set securityContext.runAsNonRoot=false`,
  },
  {
    name: "runAsNonRoot unset", check: "runAsNonRoot",
    spec: { containers: [c("a"), c("b", {}), c("d", { runAsNonRoot: true })] },
    reason: "runAsNonRoot != true", detail: `pod or containers "a", "b" must set securityContext.runAsNonRoot=true`,
  },
  { name: "runAsNonRoot user namespace, relaxation on", check: "runAsNonRoot", spec: { hostUsers: false, containers: [c("a")] }, opts: { relaxPolicyForUserNamespacePods: true } },
  { name: "runAsNonRoot user namespace, relaxation off", check: "runAsNonRoot", spec: { hostUsers: false, containers: [c("a")] }, reason: "runAsNonRoot != true", detail: `pod or container "a" must set securityContext.runAsNonRoot=true` },

  // runAsUser
  { name: "runAsUser non-zero", check: "runAsUser", spec: { securityContext: { runAsUser: 1000 }, containers: [c("a", { runAsUser: 1 })] } },
  {
    name: "runAsUser zero", check: "runAsUser",
    spec: { securityContext: { runAsUser: 0 }, containers: [c("a", { runAsUser: 0 }), c("b", { runAsUser: 1 }), c("c", { runAsUser: 0 })] },
    reason: "runAsUser=0", detail: `pod and containers "a", "c" must not set runAsUser=0`,
  },
  { name: "runAsUser zero in user namespace, relaxation on", check: "runAsUser", spec: { hostUsers: false, securityContext: { runAsUser: 0 } }, opts: { relaxPolicyForUserNamespacePods: true } },

  // seccompProfile_restricted
  { name: "seccomp pod runtime default", check: "seccompProfile_restricted", spec: { securityContext: { seccompProfile: { type: "RuntimeDefault" } }, containers: [c("a")] } },
  {
    name: "seccomp unset", check: "seccompProfile_restricted",
    spec: { containers: [c("a"), c("b", {}), c("c", { seccompProfile: { type: "Localhost", localhostProfile: "x" } })] },
    reason: "seccompProfile", detail: `pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  },
  {
    name: "seccomp explicit unconfined wins over unset", check: "seccompProfile_restricted",
    spec: { containers: [c("a"), c("b", { seccompProfile: { type: "Unconfined" } })] },
    reason: "seccompProfile", detail: `container "b" must not set securityContext.seccompProfile.type to "Unconfined"`,
  },
  { name: "seccomp windows pod exempt", check: "seccompProfile_restricted", spec: { os: { name: "windows" }, containers: [c("a")] } },

  // capabilities_restricted (upstream's table)
  {
    name: "unrestricted capabilities", check: "capabilities_restricted",
    spec: {
      containers: [
        c("a", { capabilities: { add: ["FOO", "BAR"] } }), c("b", { capabilities: { add: ["BAR", "BAZ"] } }),
        c("c", { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL", "FOO"] } }),
      ],
    },
    reason: "unrestricted capabilities",
    detail: `containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add`,
  },
  { name: "drop ALL, add NET_BIND_SERVICE", check: "capabilities_restricted", spec: { containers: [c("a", { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } })] } },
  { name: "no security context", check: "capabilities_restricted", spec: { containers: [c("a")] }, reason: "unrestricted capabilities", detail: `container "a" must set securityContext.capabilities.drop=["ALL"]` },
];

describe("Pod Security checks", () => {
  for (const tc of cases) {
    it(`${tc.check}: ${tc.name}`, () => {
      const fn = checkAt(tc.check, tc.version ?? 32);
      const r = fn(tc.meta ?? {}, { containers: [], ...tc.spec }, tc.opts ?? { relaxPolicyForUserNamespacePods: false });
      if (tc.reason === undefined) {
        assert.deepEqual(r, { allowed: true });
      } else {
        assert.equal(r.allowed, false);
        assert.equal(r.forbiddenReason, tc.reason);
        assert.equal(r.forbiddenDetail, tc.detail);
      }
    });
  }
});
