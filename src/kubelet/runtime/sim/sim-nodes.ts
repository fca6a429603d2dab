/**
 * Simulated nodes (the role KWOK plays upstream): N nodes registered with
 * capacity, their Leases renewed, and the pods bound to them taken through
 * their lifecycle without running anything: Running and Ready with a pod IP
 * of the node's pod CIDR that no other pod of the node holds (pod-ip-allocator.ts),
 * deletion honoured, pods whose restartPolicy is not Always finished with
 * success after a while, and pods past their activeDeadlineSeconds failed
 * with DeadlineExceeded, as a kubelet fails them. Given TLS material, they also
 * answer the kubelet's `/stats/summary` (sim-stats-server.ts) with synthetic
 * usage (sim-usage.ts), so that metrics.k8s.io, `kubectl top` and the HPA see them.
 */
import { EventRecorder, InformerFactory, Resources, retryOnConflict, type Client, type Informer, type Kube } from "../../../client/index.js";
import { rfc3339 } from "../../../api/time.js";
import { renewNodeLease } from "../../node-lease.js";
import { nodeResources, sameResources } from "../../node-allocatable.js";
import type { Node } from "kubernetes-types/core/v1.js";
import type { Pod } from "../../types.js";
import { parseQuantity } from "../../../api/quantity.js";
import { PodIPAllocator } from "./pod-ip-allocator.js";
import { nodeSummary, type SimUsageOptions } from "./sim-usage.js";
import { SimStatsServer, type SimStatsTls } from "./sim-stats-server.js";

export interface SimNodesOptions {
  count: number;
  prefix?: string;
  /** How long a pod that does not restart runs before it succeeds (default 1 s). */
  completeAfterMs?: number;
  cpu?: string;
  memory?: string;
  pods?: number;
  /** The cluster CA and a serving certificate from it: with them the nodes serve /stats/summary on loopback. */
  statsTls?: SimStatsTls;
  /** Where that endpoint listens, and so the nodes' InternalIP (default 127.0.0.1). */
  statsAddress?: string;
  /** The synthetic usage: a fraction of the requests (default 0.1) with noise (default 0.1). */
  usage?: Partial<SimUsageOptions>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const nowTime = () => rfc3339();

export class SimNodes {
  readonly names: string[];
  private readonly nameSet: Set<string>;
  private readonly informers: InformerFactory;
  private pods!: Informer<Pod>;
  private readonly handled = new Set<string>();
  /** node -> the addresses of its pods */
  private readonly allocators = new Map<string, PodIPAllocator>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** node -> its running pods by uid, for the usage summaries. */
  private readonly running = new Map<string, Map<string, Pod>>();
  private stats?: SimStatsServer;
  private readonly startTime = nowTime();
  /** The activeDeadlineSeconds timer of each running pod, set anew whenever the pod changes. */
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  /** Pods this simulator has finished (succeeded or failed): nothing more happens to them. */
  private readonly finished = new Set<string>();
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: SimNodesOptions) {
    const prefix = options.prefix ?? "sim-node";
    this.names = Array.from({ length: options.count }, (_, i) => `${prefix}-${i}`);
    this.nameSet = new Set(this.names);
    this.informers = new InformerFactory(client);
  }

  /** What a simulated node has: all of it allocatable. */
  private capacity(): Record<string, string> {
    return { cpu: this.options.cpu ?? "32", memory: this.options.memory ?? "256Gi", pods: String(this.options.pods ?? 110), "ephemeral-storage": "100Gi" };
  }

  private nodeObject(name: string, podCIDR: string, gateway: string): Kube<Node> {
    // With a stats endpoint the node's address is where it listens, as KWOK points nodes at its controller.
    const nodeIP = this.stats ? this.options.statsAddress ?? "127.0.0.1" : gateway;
    const capacity = this.capacity();
    const t = nowTime();
    return {
      metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "sim" }, annotations: { "skiff.dev/simulated": "true" } },
      spec: { podCIDR, podCIDRs: [podCIDR] },
      status: {
        capacity, allocatable: capacity,
        conditions: [
          { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", lastHeartbeatTime: t, lastTransitionTime: t },
          { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status (simulated)", lastHeartbeatTime: t, lastTransitionTime: t },
        ],
        addresses: [{ type: "InternalIP", address: nodeIP }, { type: "Hostname", address: name }],
        ...(this.stats ? { daemonEndpoints: { kubeletEndpoint: { Port: this.stats.port } } } : {}),
        nodeInfo: { kubeletVersion: "v1.32.0-skiff", kubeProxyVersion: "", operatingSystem: "linux", architecture: "amd64", osImage: "simulated", kernelVersion: "simulated", containerRuntimeVersion: "sim://0.1", machineID: "", systemUUID: "", bootID: "" },
      },
    };
  }

  /** Registers the node (or takes an existing one over, with the pod CIDR it has) and sets up its pod addresses. */
  private async register(name: string, podCIDR: string): Promise<void> {
    try {
      await this.client.create(Resources.nodes, undefined, this.nodeObject(name, podCIDR, ""));
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    // Status is written apart from the object, as a kubelet does; controllers write the new Node at the
    // same time (taints, the pod CIDR), so a lost race is retried on the Node as it now is.
    await retryOnConflict(async () => {
      const current = await this.client.get<Kube<Node>>(Resources.nodes, undefined, name);
      const allocator = new PodIPAllocator(current.spec?.podCIDR || podCIDR);
      this.allocators.set(name, allocator);
      const node = this.nodeObject(name, allocator.cidr, allocator.gateway);
      await this.client.update(Resources.nodes, undefined, { ...current, status: node.status }, "status");
    });
  }

  /**
   * A pod CIDR for each node: the one a node registered before has, else a
   * /24 of the cluster CIDR that no node has (the nodes listed once, so a
   * simulated node does not share the range of a real one or of another
   * simulator's). Past 256 nodes the /24s run out and are shared.
   */
  private async podCIDRs(): Promise<string[]> {
    const nodes = (await this.client.list<Kube<Node>>(Resources.nodes)).items;
    const had = new Map(nodes.map((n) => [n.metadata.name, n.spec?.podCIDR]));
    const used = new Set(nodes.map((n) => n.spec?.podCIDR).filter(Boolean));
    let next = 0;
    return this.names.map((name, i) => {
      const existing = had.get(name);
      if (existing) return existing;
      while (next < 256 && used.has(`10.244.${next}.0/24`)) next++;
      const cidr = `10.244.${next < 256 ? next : i % 256}.0/24`;
      used.add(cidr);
      return cidr;
    });
  }

  /**
   * As a kubelet's status update does: an extended resource written into the
   * node's capacity becomes allocatable, and leaves allocatable when it leaves
   * capacity. A write that loses a race is redone on the newer node's event.
   */
  private async followCapacity(node: Kube<Node>): Promise<void> {
    const measured = this.capacity();
    const { capacity, allocatable } = nodeResources(node.status, { capacity: measured, allocatable: measured });
    if (sameResources(capacity, node.status?.capacity) && sameResources(allocatable, node.status?.allocatable)) return;
    await this.client.update(Resources.nodes, undefined, { ...node, status: { ...node.status, capacity, allocatable } }, "status").catch((err) => {
      if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err;
    });
  }

  private async renewLeases(): Promise<void> {
    await Promise.all(this.names.map((name) => renewNodeLease(this.client, name).catch(() => undefined)));
  }


  /** A node's usage summary, or undefined for a node that is not one of these. */
  private summary(node: string): ReturnType<typeof nodeSummary> | undefined {
    if (!this.nameSet.has(node)) return undefined;
    const memory = parseQuantity(this.options.memory ?? "256Gi");
    const usage = { fraction: this.options.usage?.fraction ?? 0.1, noise: this.options.usage?.noise ?? 0.1, random: this.options.usage?.random };
    return nodeSummary(node, this.startTime, memory, [...(this.running.get(node)?.values() ?? [])], usage, Date.now());
  }

  /** Keeps the index of running pods: a pod counts from when it runs until it finishes or goes. */
  private track(p: Pod, gone = false): void {
    const node = p.spec?.nodeName;
    if (!node) return;
    const uid = String(p.metadata.uid);
    let pods = this.running.get(node);
    if (!gone && p.status?.phase === "Running" && !p.metadata.deletionTimestamp) {
      if (!pods) this.running.set(node, (pods = new Map()));
      pods.set(uid, p);
    } else {
      pods?.delete(uid);
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.options.statsTls) {
      this.stats = new SimStatsServer(this.options.statsTls, (node) => this.summary(node));
      await this.stats.start(this.options.statsAddress ?? "127.0.0.1");
      signal.addEventListener("abort", () => void this.stats?.stop(), { once: true });
    }
    const cidrs = await this.podCIDRs();
    await Promise.all(this.names.map((n, i) => this.register(n, cidrs[i]!)));
    await this.renewLeases();
    const lease = setInterval(() => void this.renewLeases().catch(() => undefined), 10_000);
    signal.addEventListener("abort", () => { clearInterval(lease); for (const t of this.timers) clearTimeout(t); for (const t of this.deadlines.values()) clearTimeout(t); });
    const mine = new Set(this.names);
    this.pods = this.informers.informer<Pod>(Resources.pods);
    // Until the pods are all listed, only note the addresses they hold (after a restart), so none is handed out twice.
    let synced = false;
    const consider = (p: Pod) => {
      if (!mine.has(p.spec?.nodeName ?? "")) return;
      this.track(p);
      if (!synced) return this.adopt(p);
      void this.handle(p).catch((err) => this.options.log?.("sim pod failed", { pod: p.metadata.name, err: String(err) }));
    };
    const nodes = this.informers.informer<Kube<Node>>(Resources.nodes);
    const follow = (n: Kube<Node>) => {
      if (mine.has(n.metadata.name!)) void this.followCapacity(n).catch((err) => this.options.log?.("sim node status failed", { node: n.metadata.name, err: String(err) }));
    };
    nodes.addEventHandler({ add: follow, update: (_o, n) => follow(n) });
    this.pods.addEventHandler({ add: consider, update: (_o, p) => consider(p), delete: (p) => { this.track(p, true); this.forget(p); } });
    this.informers.start(signal);
    this.ready = this.informers.waitForCacheSync();
    await this.ready;
    synced = true;
    for (const p of this.pods.list()) consider(p);
  }

  /** A pod found on one of these nodes at start: its address stays its own. */
  private adopt(p: Pod): void {
    const ip = p.status?.podIP;
    if (!ip || p.status?.phase === "Succeeded" || p.status?.phase === "Failed") return;
    if (!this.allocators.get(p.spec.nodeName ?? "")?.reserve(String(p.metadata.uid), ip)) {
      this.options.log?.("sim pod keeps an address it cannot have to itself", { pod: `${p.metadata.namespace}/${p.metadata.name}`, podIP: ip });
    }
  }

  /** A pod deleted: its address is free again. */
  private forget(p: Pod): void {
    const uid = String(p.metadata.uid);
    this.handled.delete(uid);
    this.finished.delete(uid);
    clearTimeout(this.deadlines.get(uid));
    this.deadlines.delete(uid);
    this.allocators.get(p.spec?.nodeName ?? "")?.release(uid);
  }

  /**
   * activeDeadlineSeconds, as the kubelet's activeDeadlineHandler: counted
   * from status.startTime; it may be lowered (or set) on a running pod, so the
   * timer is set again at every change of the pod.
   */
  private watchDeadline(p: Pod): void {
    const uid = String(p.metadata.uid);
    clearTimeout(this.deadlines.get(uid));
    this.deadlines.delete(uid);
    const seconds = p.spec?.activeDeadlineSeconds;
    const start = p.status?.startTime;
    if (typeof seconds !== "number" || !start || p.status?.phase !== "Running" || this.finished.has(uid)) return;
    const left = Math.max(0, Date.parse(start) + seconds * 1000 - Date.now());
    this.deadlines.set(uid, setTimeout(() => {
      this.deadlines.delete(uid);
      void this.failDeadline(p).catch((err) => this.options.log?.("sim pod deadline failed", { pod: p.metadata.name, err: String(err) }));
    }, Math.min(left, 2 ** 31 - 1)));
  }

  private async failDeadline(p: Pod): Promise<void> {
    const uid = String(p.metadata.uid);
    if (this.finished.has(uid)) return;
    this.finished.add(uid);
    const node = p.spec.nodeName as string;
    const reason = "DeadlineExceeded";
    const message = "Pod was active on the node longer than the specified deadline";
    new EventRecorder(this.client, "kubelet", node).event(p, "Normal", reason, message);
    const done = nowTime();
    // The containers are killed, as a kubelet stops them (SIGKILL's 137 after the grace period, nothing running here).
    const killed = (p.status?.containerStatuses ?? []).map((c) => ({
      ...c, ready: false, started: false,
      state: { terminated: { exitCode: 137, reason: "Error", startedAt: c.state?.running?.startedAt ?? done, finishedAt: done, containerID: c.containerID } },
    }));
    const conditions = (p.status?.conditions ?? []).map((c) => (c.type === "Ready" || c.type === "ContainersReady"
      ? { type: c.type, status: "False", lastProbeTime: null, lastTransitionTime: done, reason: "PodFailed" } : c));
    await this.client.patch(Resources.pods, p.metadata.namespace, p.metadata.name!, {
      status: { phase: "Failed", reason, message, conditions, containerStatuses: killed },
    }, "merge", "status");
    this.allocators.get(node)?.release(uid);
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
    this.watchDeadline(p);
    if (this.handled.has(uid) || p.status?.phase !== "Pending") return;
    const node = p.spec.nodeName as string;
    const allocator = this.allocators.get(node)!;
    const ip = allocator.allocate(uid);
    if (!ip) {
      // As CNI's host-local would: the sandbox cannot be made; the pod waits for an address to be freed.
      new EventRecorder(this.client, "kubelet", node).event(p, "Warning", "FailedCreatePodSandBox",
        `Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set: ${allocator.cidr}`);
      return;
    }
    this.handled.add(uid);
    const t = nowTime();
    const hostIP = allocator.gateway;
    const containers = (p.spec.containers ?? []).map((c) => ({
      name: c.name, image: c.image, imageID: `sim://${c.image}`, containerID: `sim://${uid.slice(0, 8)}-${c.name}`,
      ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } },
    }));
    const condition = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: t });
    try {
      await this.client.patch(Resources.pods, ns, name, {
        status: {
          phase: "Running", podIP: ip, podIPs: [{ ip }], hostIP, hostIPs: [{ ip: hostIP }], startTime: t,
          conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"), condition("ContainersReady"), condition("PodScheduled")],
          containerStatuses: containers,
        },
      }, "merge", "status");
    } catch (err) {
      // Not started after all: the next change to the pod tries again, with the address free meanwhile.
      this.handled.delete(uid);
      allocator.release(uid);
      throw err;
    }
    if ((p.spec.restartPolicy ?? "Always") !== "Always") {
      this.later(this.options.completeAfterMs ?? 1000, async () => {
        if (this.finished.has(uid)) return;
        this.finished.add(uid);
        const done = nowTime();
        const finished = containers.map((c) => ({ ...c, ready: false, started: false, state: { terminated: { exitCode: 0, reason: "Completed", startedAt: t, finishedAt: done, containerID: c.containerID } } }));
        const notReady = (type: string) => ({ type, status: "False", lastProbeTime: null, lastTransitionTime: done, reason: "PodCompleted" });
        await this.client.patch(Resources.pods, ns, name, {
          status: { phase: "Succeeded", containerStatuses: finished, conditions: [condition("PodReadyToStartContainers"), condition("Initialized"), notReady("Ready"), notReady("ContainersReady"), condition("PodScheduled")] },
        }, "merge", "status");
        // A finished pod's sandbox is gone, and its address with it.
        allocator.release(uid);
      });
    }
  }
}
