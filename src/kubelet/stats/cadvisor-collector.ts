/**
 * What `/metrics/cadvisor` reports, gathered at each scrape: for each ready
 * pod sandbox, the pod's cgroup, the sandbox's (with the pod's network) and
 * each running container's, read from the cgroup files the runtime made (its
 * cgroupsPath is the pod's cgroup parent and the container's id, as
 * containerd's cgroupfs driver lays them out). As cAdvisor's containerd
 * handler sees them: the sandbox has no container name (containerd labels it
 * with the sandbox config's labels only), and a cgroup's start time is the
 * earliest modification time of its directories.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import { Labels } from "../types.js";
import { CgroupFs } from "./cgroup-stats.js";
import type { CadvisorContainer } from "./cadvisor-metrics.js";
import { netDevOf } from "./net-dev.js";

export interface CadvisorCollectorOptions {
  runtime: Pick<ContainerRuntime, "listPodSandbox" | "listContainers">;
  /** The cgroup of the pod with this uid; undefined for a pod the kubelet does not know. */
  podCgroup: (uid: string) => string | undefined;
  /** The image the runtime runs sandboxes from (the pause image). */
  sandboxImage: string;
  cgroups?: CgroupFs;
  procRoot?: string;
  sysRoot?: string;
  now?: () => number;
}

export class CadvisorCollector {
  private readonly cgroups: CgroupFs;
  private readonly deviceNames = new Map<string, string>();

  constructor(private readonly options: CadvisorCollectorOptions) {
    this.cgroups = options.cgroups ?? new CgroupFs();
  }

  /** The cgroups to report; rejects when the runtime cannot list its sandboxes or containers. */
  async collect(): Promise<CadvisorContainer[]> {
    const { runtime, podCgroup, sandboxImage } = this.options;
    const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox(), runtime.listContainers({})]);
    const out: CadvisorContainer[] = [];
    const pods = new Map<string, { parent: string; pod: string; namespace: string }>();
    for (const s of sandboxes) {
      if (s.state !== "SANDBOX_READY") continue;
      const uid = s.labels[Labels.podUid] ?? s.metadata.uid;
      const parent = podCgroup(uid);
      if (!parent) continue;
      const pod = { parent, pod: s.labels[Labels.podName] ?? s.metadata.name, namespace: s.labels[Labels.podNamespace] ?? s.metadata.namespace };
      pods.set(s.id, pod);
      this.add(out, { container: "", id: parent, image: "", name: "", namespace: pod.namespace, pod: pod.pod });
      this.add(out, { container: "", id: `${parent}/${s.id}`, image: sandboxImage, name: s.id, namespace: pod.namespace, pod: pod.pod }, true);
    }
    for (const c of containers) {
      const pod = pods.get(c.podSandboxId);
      if (c.state !== "CONTAINER_RUNNING" || !pod) continue;
      const container = c.labels[Labels.containerName] ?? c.metadata.name;
      this.add(out, { container, id: `${pod.parent}/${c.id}`, image: c.image.image, name: c.id, namespace: pod.namespace, pod: pod.pod });
    }
    return out;
  }

  private add(out: CadvisorContainer[], labels: CadvisorContainer["labels"], sandbox = false): void {
    const stats = this.cgroups.read(labels.id);
    // A container the runtime lists whose cgroup is gone (it just ended) is no longer there to report.
    if (!stats) return;
    const timestampMs = (this.options.now ?? Date.now)();
    const io = stats.io.map((d) => ({ ...d, device: this.deviceName(d.device) }));
    const pid = stats.procs[0];
    const network = sandbox && pid !== undefined ? netDevOf(pid, this.options.procRoot) : undefined;
    const created = this.cgroups.createdMs(labels.id);
    out.push({ labels, stats, io, network, startTimeSeconds: created === undefined ? undefined : created / 1000, timestampMs });
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
