/**
 * What `/metrics/cadvisor` reports, gathered at each scrape: the node's
 * cgroups (the root, `/`, and the pods' root and QoS classes' cgroups the
 * runtime made under it), then for each ready pod sandbox the pod's cgroup,
 * the sandbox's (with the pod's network) and each running container's, read
 * from the cgroup files the runtime made (its cgroupsPath is the pod's cgroup
 * parent and the container's id, as containerd's cgroupfs driver lays them
 * out). As cAdvisor's containerd handler sees them: the sandbox has no
 * container name (containerd labels it with the sandbox config's labels
 * only), and a cgroup's start time is the earliest modification time of its
 * directories. A container's filesystem is its writable layer as the runtime
 * measures it (CRI ContainerStats) on the snapshotter's filesystem; the
 * root's is the filesystem of the kubelet's data directory.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import { Labels } from "../types.js";
import { cgroupSpec } from "./cgroup-spec.js";
import { CgroupFs } from "./cgroup-stats.js";
import type { CadvisorContainer, CadvisorFilesystem, CadvisorLabels, CadvisorMachine } from "./cadvisor-metrics.js";
import { filesystemOf } from "./fs-usage.js";
import { machineInfo } from "./machine-info.js";
import { netDevOf } from "./net-dev.js";

export interface CadvisorCollectorOptions {
  runtime: Pick<ContainerRuntime, "listPodSandbox" | "listContainers" | "containerStats">;
  /** The cgroup of the pod with this uid; undefined for a pod the kubelet does not know. */
  podCgroup: (uid: string) => string | undefined;
  /** The node's cgroups reported besides the pods' ("/" and the pods' root and QoS cgroups); those that do not exist are left out. */
  nodeCgroups?: string[];
  /** A path on the filesystem reported for the root cgroup (the kubelet's data directory). */
  rootFsPath?: string;
  /** The image the runtime runs sandboxes from (the pause image). */
  sandboxImage: string;
  cgroups?: CgroupFs;
  procRoot?: string;
  sysRoot?: string;
  etcRoot?: string;
  now?: () => number;
}

/** How long machine info is kept before it is read again (cAdvisor's update_machine_info_interval). */
const MACHINE_INFO_MS = 5 * 60_000;

export class CadvisorCollector {
  private readonly cgroups: CgroupFs;
  private readonly deviceNames = new Map<string, string>();
  private machineSeen?: CadvisorMachine;

  constructor(private readonly options: CadvisorCollectorOptions) {
    this.cgroups = options.cgroups ?? new CgroupFs({ procRoot: options.procRoot });
  }

  /** The cgroups to report; rejects when the runtime cannot list its sandboxes or containers. */
  async collect(): Promise<CadvisorContainer[]> {
    const { runtime, podCgroup, sandboxImage } = this.options;
    const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox(), runtime.listContainers({})]);
    const out: CadvisorContainer[] = [];
    const none = { container: "", image: "", name: "", namespace: "", pod: "" };
    for (const id of this.options.nodeCgroups ?? []) {
      const fs = id === "/" && this.options.rootFsPath ? filesystemOf(this.options.rootFsPath, join(this.options.procRoot ?? "/proc", "self", "mountinfo")) : undefined;
      this.add(out, { ...none, id }, { filesystem: fs && [{ device: fs.device, usageBytes: fs.usedBytes, limitBytes: fs.capacityBytes, inodesTotal: fs.inodesTotal, inodesFree: fs.inodesFree }] });
    }
    const pods = new Map<string, { parent: string; pod: string; namespace: string }>();
    for (const s of sandboxes) {
      if (s.state !== "SANDBOX_READY") continue;
      const uid = s.labels[Labels.podUid] ?? s.metadata.uid;
      const parent = podCgroup(uid);
      if (!parent) continue;
      const pod = { parent, pod: s.labels[Labels.podName] ?? s.metadata.name, namespace: s.labels[Labels.podNamespace] ?? s.metadata.namespace };
      pods.set(s.id, pod);
      this.add(out, { ...none, id: parent, namespace: pod.namespace, pod: pod.pod });
      this.add(out, { container: "", id: `${parent}/${s.id}`, image: sandboxImage, name: s.id, namespace: pod.namespace, pod: pod.pod }, { sandbox: true });
    }
    const running = containers.filter((c) => c.state === "CONTAINER_RUNNING" && pods.has(c.podSandboxId));
    const layers = await Promise.all(running.map((c) => this.writableLayer(c.id)));
    running.forEach((c, i) => {
      const pod = pods.get(c.podSandboxId)!;
      const container = c.labels[Labels.containerName] ?? c.metadata.name;
      this.add(out, { container, id: `${pod.parent}/${c.id}`, image: c.image.image, name: c.id, namespace: pod.namespace, pod: pod.pod }, { filesystem: layers[i] });
    });
    return out;
  }

  /** The machine's figures, read at most every few minutes (they change only with hotplug), stamped with when they were read. */
  machine(): CadvisorMachine {
    const now = (this.options.now ?? Date.now)();
    if (!this.machineSeen || now - this.machineSeen.timestampMs >= MACHINE_INFO_MS) {
      this.machineSeen = { info: machineInfo(this.options), timestampMs: now };
    }
    return this.machineSeen;
  }

  private add(out: CadvisorContainer[], labels: CadvisorLabels, extra: { sandbox?: boolean; filesystem?: CadvisorFilesystem[] } = {}): void {
    const stats = this.cgroups.read(labels.id);
    // A container the runtime lists whose cgroup is gone (it just ended) is no longer there to report.
    if (!stats) return;
    const timestampMs = (this.options.now ?? Date.now)();
    const io = stats.io.map((d) => ({ ...d, device: this.deviceName(d.device) }));
    const pid = stats.procs[0];
    const network = extra.sandbox && pid !== undefined ? netDevOf(pid, this.options.procRoot) : undefined;
    const created = this.cgroups.createdMs(labels.id);
    const spec = cgroupSpec(this.cgroups, labels.id);
    out.push({ labels, stats, spec, io, network, filesystem: extra.filesystem, startTimeSeconds: created === undefined ? undefined : created / 1000, timestampMs });
  }

  /** The container's writable layer on its filesystem; undefined when the runtime does not measure it (or the container just ended). */
  private async writableLayer(id: string): Promise<CadvisorFilesystem[] | undefined> {
    const layer = (await this.options.runtime.containerStats(id).catch(() => undefined))?.writableLayer;
    const used = layer?.usedBytes?.value;
    if (!layer || used === undefined) return undefined;
    const fs = layer.fsId?.mountpoint ? filesystemOf(layer.fsId.mountpoint, join(this.options.procRoot ?? "/proc", "self", "mountinfo")) : undefined;
    return [{ device: fs?.device ?? "", usageBytes: used, limitBytes: fs?.capacityBytes ?? 0, inodesTotal: fs?.inodesTotal, inodesFree: fs?.inodesFree }];
  }

  /** `/dev/<name>` for a block device number, from sysfs, as cAdvisor names a disk; "" when it has none. */
  private deviceName(majorMinor: string): string {
    let name = this.deviceNames.get(majorMinor);
    if (name === undefined) {
      let uevent = "";
      try { uevent = readFileSync(join(this.options.sysRoot ?? "/sys", "dev", "block", majorMinor, "uevent"), "utf8"); } catch { /* no such device */ }
      const dev = /^DEVNAME=(.+)$/m.exec(uevent)?.[1];
      name = dev ? `/dev/${dev}` : "";
      this.deviceNames.set(majorMinor, name);
    }
    return name;
  }
}

/** The cgroups for a scrape, or undefined when listing failed: the failure goes to onError, and the scrape still answers (with the error gauge set). */
export async function cadvisorContainersOf(collector: CadvisorCollector, onError: (err: unknown) => void): Promise<CadvisorContainer[] | undefined> {
  return collector.collect().catch((err: unknown) => { onError(err); return undefined; });
}
