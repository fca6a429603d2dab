import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { EnvError, expandSubPathExpr } from "../container/env.js";
import type { VolumeMount } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import { containerConfig, podDnsConfig } from "./pod-config.js";

const root = mkdtempSync(join(tmpdir(), "skiff-pod-config-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** What a test sets of the mount of volume `logs` at /logs. */
type MountFields = Partial<VolumeMount>;

const pod = (mount: MountFields): Pod => ({
  metadata: { name: "web-0", namespace: "default", uid: "u1" },
  spec: { volumes: [{ name: "logs", emptyDir: {} }], containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "logs", mountPath: "/logs", ...mount }] }] },
});

const configFor = (mount: MountFields, env: Record<string, string>) => {
  const p = pod(mount);
  return containerConfig({
    pod: p, container: p.spec.containers[0]!, kind: "regular", attempt: 0, env: Object.entries(env).map(([key, value]) => ({ key, value })),
    volumePaths: new Map([["logs", join(root, "logs")]]), terminationMessageFile: join(root, "term"),
  });
};

it("expands subPathExpr from the container's environment, $$ escaping, as upstream's kubelet", () => {
  assert.equal(expandSubPathExpr("$(POD_NAME)/$(NS)", { POD_NAME: "web-0", NS: "default" }), "web-0/default");
  assert.equal(expandSubPathExpr("a$$(POD_NAME)b", { POD_NAME: "web-0" }), "a$(POD_NAME)b");
  assert.equal(expandSubPathExpr("$x/$(/$", {}), "$x/$(/$", "a $ that opens no reference stays as written");
  assert.throws(() => expandSubPathExpr("$(B)/$(A)/$(POD_NAME)/$(EMPTY)", { POD_NAME: "web-0", EMPTY: "" }), (e) => e instanceof EnvError && e.message === "missing value for A, B, EMPTY");
});

it("mounts the expanded subPathExpr inside the volume, made if missing", () => {
  const config = configFor({ subPathExpr: "pods/$(POD_NAME)" }, { POD_NAME: "web-0" });
  const m = config.mounts!.find((x) => x.containerPath === "/logs")!;
  assert.equal(m.hostPath, join(root, "logs", "pods", "web-0"));
  assert.ok(existsSync(m.hostPath));
  assert.equal(configFor({ subPath: "plain" }, {}).mounts!.find((x) => x.containerPath === "/logs")!.hostPath, join(root, "logs", "plain"));
  assert.equal(configFor({}, {}).mounts!.find((x) => x.containerPath === "/logs")!.hostPath, join(root, "logs"));
});

it("refuses an expansion that leaves the volume, or names an unset variable, with upstream's messages", () => {
  const refused = (mount: MountFields, env: Record<string, string>) => {
    try { configFor(mount, env); } catch (e) { assert.ok(e instanceof EnvError); return e.message; }
    return "accepted";
  };
  assert.equal(refused({ subPathExpr: "$(DIR)" }, { DIR: "/etc" }), "error SubPath `/etc` must not be an absolute path");
  assert.equal(refused({ subPathExpr: "a/$(UP)/b" }, { UP: ".." }), "unable to provision SubPath `a/../b`: must not contain '..'");
  assert.equal(refused({ subPathExpr: "$(NOPE)" }, {}), "missing value for NOPE");
  assert.ok(!existsSync(join(root, "etc")) && !existsSync(join(root, "b")));
});

it("adds dnsConfig's options over ClusterFirst's, one per name, and skips one without a name (validation refuses it)", () => {
  const p: Pod = { ...pod({}), spec: { ...pod({}).spec, dnsConfig: { options: [{ value: "x" }, { name: "ndots", value: "2" }, { name: "edns0" }] } } };
  const dns = podDnsConfig(p, { clusterDNS: ["10.96.0.10"], clusterDomain: "cluster.local", hostResolvConf: join(root, "no-resolv.conf") });
  assert.deepEqual(dns.options, ["ndots:2", "edns0"]);
  assert.deepEqual(dns.searches, ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
});
