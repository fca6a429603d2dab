/**
 * Removes everything a node's runtime left on the machine (what k3s's
 * killall script does): every pod sandbox and container of Skiff's
 * containerd, the Service rules, the mounts under the data directory, the pod
 * bridge, the pods' cgroups, and IPv4 forwarding as it was before the node
 * started. For a node being taken down, and for tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Containerd, removeBridge, restoreIpForward, type Logger } from "../kubelet/index.js";
import { cleanupIptablesRules, cleanupProxyRules } from "../proxy/index.js";
import { DEFAULT_CLUSTER_CIDR, cleanupOverlay } from "../network/index.js";

export async function cleanupNode(dataDir: string, bridge: string, log: Logger): Promise<void> {
  const containerd = new Containerd(dataDir, log);
  // Only a node that ran containers here made the host-wide state below (its bridge, Service rules,
  // overlay, forwarding): the killall of a data dir that never did (a control plane without a runtime,
  // simulated nodes) must not take another node's network down.
  const ranContainers = existsSync(containerd.paths.config);
  if (ranContainers) {
    const cri = await containerd.start();
    try {
      for (const c of await cri.listContainers()) {
        await cri.stopContainer(c.id, 0).catch(() => undefined);
        await cri.removeContainer(c.id).catch(() => undefined);
      }
      for (const s of await cri.listPodSandbox()) {
        await cri.stopPodSandbox(s.id).catch(() => undefined);
        await cri.removePodSandbox(s.id).catch(() => undefined);
      }
      log("pods removed");
    } finally {
      cri.close();
      await containerd.stop();
    }
  }
  // Deepest mounts first, so that each parent can be unmounted in turn.
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "")
    .map((m) => m.replace(/\\040/g, " ")).filter((m) => m === dataDir || m.startsWith(dataDir + "/")).sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  if (mounts.length) log("unmounted", { count: mounts.length });
  if (ranContainers) {
    cleanupProxyRules();
    cleanupIptablesRules();
    removeBridge(bridge);
    cleanupOverlay(DEFAULT_CLUSTER_CIDR);
  }
  restoreIpForward(join(dataDir, "agent", "ip_forward.orig"));
  for (const controller of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : []) removeEmptyTree(join("/sys/fs/cgroup", controller, "skiff"));
}

function removeEmptyTree(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) return;
  } catch {
    return;
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeEmptyTree(join(dir, e.name));
  try { rmdirSync(dir); } catch { /* still in use */ }
}
