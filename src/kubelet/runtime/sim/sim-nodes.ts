/**
 * Simulated nodes (the role KWOK plays upstream): N nodes registered with
 * capacity, their Leases renewed, and the pods bound to them taken through
 * their lifecycle without running anything: Running and Ready with a pod IP,
 * deletion honoured, and pods whose restartPolicy is not Always finished with
 * success after a while.
 */
import { InformerFactory, Resources, type Client, type Informer, type KubeObject } from "../../../client/index.js";
import { rfc3339 } from "../../../api/time.js";
import { renewNodeLease } from "../../node-lease.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- pods are free-form JSON here
type Pod = KubeObject & Json;

export interface SimNodesOptions {
  count: number;
  prefix?: string;
  /** How long a pod that does not restart runs before it succeeds (default 1 s). */
  completeAfterMs?: number;
  cpu?: string;
  memory?: string;
  pods?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const nowTime = () => rfc3339();

export class SimNodes {
  readonly names: string[];
  private readonly informers: InformerFactory;
  private pods!: Informer<Pod>;
  private readonly handled = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: SimNodesOptions) {
    const prefix = options.prefix ?? "sim-node";
    this.names = Array.from({ length: options.count }, (_, i) => `${prefix}-${i}`);
    this.informers = new InformerFactory(client);
  }

  private nodeObject(name: string, index: number): Json {
    const capacity = { cpu: this.options.cpu ?? "32", memory: this.options.memory ?? "256Gi", pods: String(this.options.pods ?? 110), "ephemeral-storage": "100Gi" };
    const t = nowTime();
    return {
      metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "sim" }, annotations: { "skiff.dev/simulated": "true" } },
      spec: { podCIDR: `10.244.${index % 256}.0/24`, podCIDRs: [`10.244.${index % 256}.0/24`] },
      status: {
        capacity, allocatable: capacity,
        conditions: [
          { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status (simulated)", lastHeartbeatTime: t, lastTransitionTime: t },
        ],
        addresses: [{ type: "InternalIP", address: `10.244.${index % 256}.1` }, { type: "Hostname", address: name }],
        nodeInfo: { kubeletVersion: "v1.32.0-skiff", kubeProxyVersion: "", operatingSystem: "linux", architecture: "amd64", osImage: "simulated", kernelVersion: "simulated", containerRuntimeVersion: "sim://0.1", machineID: "", systemUUID: "", bootID: "" },
      },
    };
  }

  private async register(name: string, index: number): Promise<void> {
    const node = this.nodeObject(name, index);
    try {
      await this.client.create(Resources.nodes, undefined, node as KubeObject);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    // Status is written apart from the object, as a kubelet does.
    const current = await this.client.get(Resources.nodes, undefined, name);
    await this.client.update(Resources.nodes, undefined, { ...current, status: node.status } as KubeObject, "status");
  }

  private async renewLeases(): Promise<void> {
    await Promise.all(this.names.map((name) => renewNodeLease(this.client, name).catch(() => undefined)));
  }


  async start(signal: AbortSignal): Promise<void> {
    await Promise.all(this.names.map((n, i) => this.register(n, i)));
    await this.renewLeases();
    const lease = setInterval(() => void this.renewLeases().catch(() => undefined), 10_000);
    signal.addEventListener("abort", () => { clearInterval(lease); for (const t of this.timers) clearTimeout(t); });
    const mine = new Set(this.names);
    this.pods = this.informers.informer<Pod>(Resources.pods);
    const consider = (p: Pod) => { if (mine.has(p.spec?.nodeName)) void this.handle(p).catch((err) => this.options.log?.("sim pod failed", { pod: p.metadata.name, err: String(err) })); };
    this.pods.addEventHandler({ add: consider, update: (_o, p) => consider(p), delete: (p) => this.handled.delete(String(p.metadata.uid)) });
    this.informers.start(signal);
    this.ready = this.informers.waitForCacheSync();
    await this.ready;
  }

  private later(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => { this.timers.delete(t); void fn().catch(() => undefined); }, ms);
    this.timers.add(t);
  }

  private async handle(p: Pod): Promise<void> {
    const ns = p.metadata.namespace!;
    const name = p.metadata.name!;
    if (p.metadata.deletionTimestamp) {
      // Nothing runs, so nothing needs the grace period: the containers are gone at once.
      await this.client.delete(Resources.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
      return;
    }
    const uid = String(p.metadata.uid);
    if (this.handled.has(uid) || p.status?.phase !== "Pending") return;
    this.handled.add(uid);
    const t = nowTime();
    const node = p.spec.nodeName as string;
    const index = this.names.indexOf(node);
    const ip = `10.244.${index % 256}.${2 + (hashOf(uid) % 250)}`;
    const containers = (p.spec.containers ?? []).map((c: Json) => ({
      name: c.name, image: c.image, imageID: `sim://${c.image}`, containerID: `sim://${uid.slice(0, 8)}-${c.name}`,
      ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } },
    }));
    const condition = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: t });
    await this.client.patch(Resources.pods, ns, name, {
      status: {
        phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP: `10.244.${index % 256}.1`, hostIPs: [{ ip: `10.244.${index % 256}.1` }], startTime: t,
        conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"), condition("ContainersReady"), condition("PodScheduled")],
        containerStatuses: containers,
      },
    }, "merge", "status");
    if ((p.spec.restartPolicy ?? "Always") !== "Always") {
      this.later(this.options.completeAfterMs ?? 1000, async () => {
        const done = nowTime();
        const finished = containers.map((c: Json) => ({ ...c, ready: false, started: false, state: { terminated: { exitCode: 0, reason: "Completed", startedAt: t, finishedAt: done, containerID: c.containerID } } }));
        const notReady = (type: string) => ({ type, status: "False", lastProbeTime: null, lastTransitionTime: done, reason: "PodCompleted" });
        await this.client.patch(Resources.pods, ns, name, {
          status: { phase: "Succeeded", containerStatuses: finished, conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), notReady("Ready"), notReady("ContainersReady"), condition("PodScheduled")] },
        }, "merge", "status");
      });
    }
  }
}

function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
