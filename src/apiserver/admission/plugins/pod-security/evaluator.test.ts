import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { Check } from "./check.js";
import { Evaluator, forbiddenDetail, forbiddenReason } from "./evaluator.js";
import type { LevelVersion } from "./levels.js";

const evaluator = new Evaluator();
const restrictedPod: PodSpec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{ name: "c", image: "busybox", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
};

describe("Evaluator", () => {
  const table: { name: string; lv: LevelVersion; meta?: ObjectMeta; spec: PodSpec; detail?: string; reason?: string }[] = [
    {
      name: "the bare pod at restricted:latest (the message kubectl shows)",
      lv: { level: "restricted", version: "latest" },
      spec: { containers: [{ name: "c", image: "busybox" }] },
      detail: `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
        `unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
        `runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
        `seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
      reason: "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
    },
    { name: "a hardened pod passes restricted", lv: { level: "restricted", version: "latest" }, spec: restrictedPod },
    { name: "the bare pod passes baseline", lv: { level: "baseline", version: "latest" }, spec: { containers: [{ name: "c" }] } },
    { name: "privileged allows anything", lv: { level: "privileged", version: "latest" }, spec: { hostNetwork: true, containers: [{ name: "c", securityContext: { privileged: true } }] } },
    {
      name: "baseline checks come first, in id order, then restricted ones",
      lv: { level: "restricted", version: "latest" },
      spec: { ...restrictedPod, hostPID: true, containers: [{ ...restrictedPod.containers[0], securityContext: { ...restrictedPod.containers[0].securityContext, privileged: true, runAsUser: 0 } }] },
      detail: `host namespaces (hostPID), privileged (container "c" must not set securityContext.privileged=true), runAsUser=0 (container "c" must not set runAsUser=0)`,
    },
    {
      name: "restrictedVolumes overrides hostPathVolumes at restricted",
      lv: { level: "restricted", version: "latest" },
      spec: { ...restrictedPod, volumes: [{ name: "h", hostPath: { path: "/" } }] },
      detail: `restricted volume types (volume "h" uses restricted volume type "hostPath")`,
    },
    {
      name: "hostPathVolumes at baseline",
      lv: { level: "baseline", version: "latest" },
      spec: { ...restrictedPod, volumes: [{ name: "h", hostPath: { path: "/" } }] },
      detail: `hostPath volumes (volume "h")`,
    },
    {
      name: "capabilities_restricted overrides capabilities_baseline from v1.22",
      lv: { level: "restricted", version: 22 },
      spec: { ...restrictedPod, containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_RAW"] } } }] },
      detail: `unrestricted capabilities (container "c" must not include "NET_RAW" in securityContext.capabilities.add)`,
    },
    {
      name: "before v1.22 restricted uses capabilities_baseline",
      lv: { level: "restricted", version: 21 },
      spec: { ...restrictedPod, containers: [{ name: "c", securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ["NET_RAW"] } } }] },
      detail: `non-default capabilities (container "c" must not include "NET_RAW" in securityContext.capabilities.add)`,
    },
    {
      name: "before v1.8 there is no allowPrivilegeEscalation check, before v1.19 seccomp is by annotation",
      lv: { level: "restricted", version: 7 },
      spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: "c" }] },
    },
    {
      name: "runAsUser is checked from v1.23",
      lv: { level: "restricted", version: 22 },
      spec: { ...restrictedPod, securityContext: { ...restrictedPod.securityContext, runAsUser: 0 } },
    },
    {
      name: "a version newer than any check evaluates as the newest",
      lv: { level: "baseline", version: 99 },
      spec: { securityContext: { sysctls: [{ name: "net.ipv4.tcp_wmem", value: "1" }, { name: "kernel.msgmax", value: "1" }] }, containers: [] },
      detail: "forbidden sysctls (kernel.msgmax)",
    },
    {
      name: "a pinned older version keeps its rules",
      lv: { level: "baseline", version: 26 },
      spec: { securityContext: { sysctls: [{ name: "net.ipv4.tcp_wmem", value: "1" }] }, containers: [] },
      detail: "forbidden sysctls (net.ipv4.tcp_wmem)",
    },
  ];
  for (const tc of table) {
    it(tc.name, () => {
      const r = evaluator.evaluate(tc.lv, tc.meta ?? {}, tc.spec);
      assert.equal(r.allowed, tc.detail === undefined);
      assert.equal(forbiddenDetail(r), tc.detail ?? "");
      if (tc.reason) assert.equal(forbiddenReason(r), tc.reason);
    });
  }

  it("latest is v1.32, the newest version a check changed in", () => assert.equal(evaluator.maxVersion, 32));

  it("reports an unknown reason and an empty detail as upstream", () => {
    const checks: Check[] = [{ id: "x", level: "baseline", versions: [{ minimumVersion: 0, checkPod: () => ({ allowed: false }) }] }];
    const r = new Evaluator(checks).evaluate({ level: "baseline", version: "latest" }, {}, { containers: [] });
    assert.equal(forbiddenDetail(r), "unknown forbidden reason");
  });

  it("refuses invalid registries", () => {
    const fn = () => ({ allowed: true });
    assert.throws(() => new Evaluator([{ id: "a", level: "baseline", versions: [{ minimumVersion: 0, checkPod: fn }] }, { id: "a", level: "baseline", versions: [{ minimumVersion: 0, checkPod: fn }] }]), /multiple checks/);
    assert.throws(() => new Evaluator([{ id: "a", level: "baseline", versions: [{ minimumVersion: 5, checkPod: fn }, { minimumVersion: 5, checkPod: fn }] }]), /strictly increasing/);
    assert.throws(() => new Evaluator([{ id: "a", level: "baseline", versions: [{ minimumVersion: 0, checkPod: fn, overrideCheckIDs: ["b"] }] }]), /only restricted/);
  });
});
