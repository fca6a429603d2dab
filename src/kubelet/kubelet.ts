/**
 * The kubelet: registers its node and keeps its Lease, watches the pods
 * bound to it, and runs each through the container runtime with one worker
 * per pod (never two syncs of a pod at once). A relist of the runtime every
 * second (upstream's PLEG) notices containers that exit; the status of every
 * pod is reported when it changes. State lives in the runtime, so a restarted
 * kubelet adopts the containers that are running instead of restarting them.
 */
import { setMaxListeners } from "node:events";
import { StatsProvider } from "./stats/summary.js";
import { CadvisorCollector } from "./stats/cadvisor-collector.js";
import { podCgroupParent, QOS_CGROUPS } from "./kuberuntime/pod-config.js";
import { SANDBOX_IMAGE } from "./runtime/cri/containerd.js";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { EventRecorder, Informer, InformerFactory, Resources, type Client, type Kube, type KubeObject } from "../client/index.js";
import { admitPod } from "./admission.js";
import { jsonEqual } from "../api/json-equal.js";
import { isNotFound } from "../api/errors.js";
import { rfc3339 } from "../api/time.js";
import { renewNodeLease } from "./node-lease.js";
import { ProberManager } from "./prober/prober-manager.js";
import { ProberMetrics } from "./prober/prober-metrics.js";
import { RuntimeManager, type PodState, type Recorder } from "./kuberuntime/runtime-manager.js";
import type { ContainerRuntime } from "./kuberuntime/runtime.js";
import { generatePodStatus, type ReportedPodStatus } from "./status/generate.js";
import { hostResources, nodeLabels, nodeStatus } from "./node-status.js";
import { VolumeManager } from "./volume/volumes.js";
import { TokenManager } from "./token/token-manager.js";
import { serviceAccountTokenSource } from "./token/token-source.js";
import { Labels, podKey, type Logger, type Pod } from "./types.js";
import { ObjectWatchers, podReferences } from "./object-watchers.js";
import type { ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Secret, Service } from "kubernetes-types/core/v1.js";
import { KubeletMetrics, type RunningCounts } from "./metrics.js";
import { Registry } from "../metrics/index.js";

export interface KubeletOptions {
  nodeName: string;
  /** The kubelet's directory: pods/, logs/ under it. */
  rootDir: string;
  runtime: ContainerRuntime;
  /** The node's address; when unset, the one onPodCIDR returns. */
  nodeIP?: string;
  /** Sets up the pod network for the node's pod CIDR and returns the node address to report. */
  onPodCIDR?: (podCIDR: string) => Promise<string>;
  kubeletPort: number;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** Where pods reach a ClusterIP, when not at the address itself (the process runtime's loopback aliases). */
  serviceAddress?: (clusterIP: string) => string;
  kubeletVersion: string;
  log: Logger;
  /** Where the kubelet's metrics go (served on its /metrics); its own registry when unset. */
  metricsRegistry?: Registry;
}

export class Kubelet {
  readonly informers: InformerFactory;
  pods!: Informer<Pod>;
  private readonly states = new Map<string, PodState>();
  private readonly podsByUid = new Map<string, Pod>();
  private readonly workers = new Map<string, { running: boolean; again: boolean }>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /** When each pod with activeDeadlineSeconds is to be looked at again. */
  private readonly deadlineTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastStatus = new Map<string, ReportedPodStatus>();
  private readonly recorderImpl: EventRecorder;
  readonly manager: RuntimeManager;
  readonly stats: StatsProvider;
  /** What /metrics/cadvisor reports, read from the containers' cgroups at each scrape. */
  readonly cadvisor: CadvisorCollector;
  private readonly volumes: VolumeManager;
  readonly tokens: TokenManager;
  private readonly prober: ProberManager;
  nodeIP = "";
  private node?: Kube<Node>;
  private signal!: AbortSignal;
  private relistState = new Map<string, string>();
  private objectWatchers!: { cms: ObjectWatchers<Kube<ConfigMap>>; secrets: ObjectWatchers<Kube<Secret>> };
  /** Stops the single-object watches; aborted with start's signal. */
  private readonly objectsSignal = new AbortController();
  readonly metrics: KubeletMetrics;
  /** The probe runs, served apart at /metrics/probes as upstream's. */
  readonly proberMetrics = new ProberMetrics();
  /** When the kubelet first saw each pod that has not run yet (kubelet_pod_start_duration_seconds). */
  private readonly firstSeen = new Map<string, number>();
  readonly options: KubeletOptions;

  constructor(private readonly client: Client, options: KubeletOptions) {
    this.metrics = new KubeletMetrics(options.metricsRegistry ?? new Registry(), options.nodeName, () => this.runningCounts());
    // Every CRI call the kubelet makes, from any of its parts, is counted (kubelet_runtime_operations_*).
    this.options = options = { ...options, runtime: this.metrics.instrument(options.runtime) };
    this.informers = new InformerFactory(client);
    this.recorderImpl = new EventRecorder(client, "kubelet", options.nodeName);
    const recorder: Recorder = { event: (pod, type, reason, message, fieldPath) => this.recorderImpl.event({ ...pod, kind: "Pod", apiVersion: "v1" }, type, reason, message, fieldPath) };
    // A node may read only what its pods use, one object at a time (the Node authorizer): each is watched alone.
    // A changed ConfigMap or Secret reaches the volumes that show it at the pod's next sync.
    const touch = (o: KubeObject) => { for (const p of this.pods?.list(o.metadata.namespace) ?? []) this.enqueue(String(p.metadata.uid)); };
    // Each watched ConfigMap and Secret listens on this signal (and leaves it when released): more than
    // Node's default ten with a few pods, which is no leak (the startup MaxListenersExceededWarning).
    setMaxListeners(0, this.objectsSignal.signal);
    const watchers = <T extends KubeObject>(r: typeof Resources.secrets) => new ObjectWatchers<T>(client, r, touch, this.objectsSignal.signal);
    const cms = watchers<Kube<ConfigMap>>(Resources.configmaps);
    const secrets = watchers<Kube<Secret>>(Resources.secrets);
    const services = this.informers.informer<Kube<Service>>(Resources.services);
    this.objectWatchers = { cms, secrets };
    // Claims and volumes are read when a pod's volumes are set up, one GET each, as upstream's kubelet does
    // (the Node authorizer lets a node get, never list or watch, the claims and volumes of its pods).
    const getOrNone = <T extends KubeObject>(r: typeof Resources.persistentvolumes, ns: string | undefined, name: string) =>
      client.get<T>(r, ns, name).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
    const sources = {
      configMap: (ns: string, name: string) => cms.get(ns, name),
      secret: (ns: string, name: string) => secrets.get(ns, name),
      services: (ns: string) => {
        const map = options.serviceAddress;
        return map ? services.list(ns).map((svc) => ({ ...svc, spec: { ...svc.spec, clusterIP: svc.spec?.clusterIP && map(svc.spec.clusterIP) } })) : services.list(ns);
      },
      persistentVolumeClaim: (ns: string, name: string) => getOrNone<Kube<PersistentVolumeClaim>>(Resources.persistentvolumeclaims, ns, name),
      persistentVolume: (name: string) => getOrNone<Kube<PersistentVolume>>(Resources.persistentvolumes, undefined, name),
    };
    const allocatable = () => hostResources(options.rootDir).allocatable;
    this.tokens = new TokenManager({
      requestToken: (ns, name, tr) => client.request("POST", client.path(Resources.serviceaccounts, ns, name, "token"), { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", ...tr }),
    });
    this.volumes = new VolumeManager(join(options.rootDir, "pods"), sources, allocatable, serviceAccountTokenSource(this.tokens));
    this.stats = new StatsProvider(options.runtime, options.nodeName);
    this.cadvisor = new CadvisorCollector({
      runtime: options.runtime, sandboxImage: SANDBOX_IMAGE,
      podCgroup: (uid) => { const pod = this.podsByUid.get(uid); return pod && podCgroupParent(pod); },
      nodeCgroups: ["/", ...QOS_CGROUPS], rootFsPath: options.rootDir,
    });
    this.prober = new ProberManager(options.runtime, {
      onResult: (pod) => this.enqueue(String(pod.metadata.uid)),
      unhealthy: (pod, container, kind, output) => recorder.event(pod, "Warning", "Unhealthy", `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${output}`, `spec.containers{${container}}`),
    }, this.proberMetrics);
    this.manager = new RuntimeManager(options.runtime, this.volumes, sources, this.prober, recorder, {
      logsDir: join(options.rootDir, "logs"),
      dns: { clusterDNS: options.clusterDNS ?? ["10.96.0.10"], clusterDomain: options.clusterDomain ?? "cluster.local" },
      nodeAllocatable: allocatable,
      nodeIP: () => this.nodeIP,
      log: options.log,
    });
  }

  get nodeName(): string { return this.options.nodeName; }

  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    signal.addEventListener("abort", () => this.objectsSignal.abort(), { once: true });
    mkdirSync(join(this.options.rootDir, "pods"), { recursive: true });
    this.nodeIP = this.options.nodeIP ?? "";
    await this.registerNode();
    const lease = this.keepLease();
    if (this.options.onPodCIDR) {
      const cidr = await this.waitForPodCIDR(signal);
      if (!cidr) { lease.stop(); return; }
      const ip = await this.options.onPodCIDR(cidr);
      if (!this.options.nodeIP) this.nodeIP = ip;
    }
    await this.updateNodeStatus();
    const status = setInterval(() => void this.updateNodeStatus().catch((err) => this.options.log("node status update failed", { err: String(err) })), 10_000);
    this.pods = new Informer<Pod>(this.client, Resources.pods, { fieldSelector: `spec.nodeName=${this.options.nodeName}` });
    this.pods.addEventHandler({
      add: (p) => this.track(p),
      update: (_o, p) => this.track(p),
      delete: (p) => {
        const uid = String(p.metadata.uid);
        this.podsByUid.delete(uid);
        for (const w of Object.values(this.objectWatchers)) w.deletePod(uid);
        this.enqueue(uid);
      },
    });
    void this.pods.run(signal);
    this.stats.start(signal);
    this.informers.start(signal);
    await Promise.all([this.pods.hasSynced, this.informers.waitForCacheSync()]);
    const relist = setInterval(() => void this.relist().catch((err) => this.options.log("relist failed", { err: String(err) })), 1000);
    const resync = setInterval(() => { for (const uid of this.podsByUid.keys()) this.enqueue(uid); }, 10_000);
    const tokenCleanup = setInterval(() => this.tokens.cleanup(), 60_000);
    signal.addEventListener("abort", () => clearInterval(tokenCleanup), { once: true });
    await this.relist().catch(() => undefined);
    signal.addEventListener("abort", () => {
      lease.stop(); clearInterval(status); clearInterval(relist); clearInterval(resync);
      for (const t of this.retryTimers.values()) clearTimeout(t);
      for (const t of this.deadlineTimers.values()) clearTimeout(t);
      this.prober.stopAll();
    }, { once: true });
    this.options.log("kubelet started", { node: this.options.nodeName, nodeIP: this.nodeIP, runtime: this.options.runtime.name });
  }

  private track(p: Pod): void {
    const uid = String(p.metadata.uid);
    this.podsByUid.set(uid, p);
    const refs = podReferences(p);
    const ns = p.metadata.namespace;
    this.objectWatchers.secrets.setPod(uid, refs.secrets.map((n) => [ns, n]));
    this.objectWatchers.cms.setPod(uid, refs.configMaps.map((n) => [ns, n]));
    this.enqueue(uid);
  }

  podByName(namespace: string, name: string): Pod | undefined {
    return this.pods?.get(`${namespace}/${name}`);
  }

  private async registerNode(): Promise<void> {
    const name = this.options.nodeName;
    const node: Kube<Node> = { metadata: { name, labels: nodeLabels(name), annotations: { "skiff.dev/runtime": this.options.runtime.name } }, spec: {} };
    try {
      await this.client.create(Resources.nodes, undefined, node);
      this.options.log("node registered", { node: name });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      await this.client.patch(Resources.nodes, undefined, name, { metadata: { labels: node.metadata.labels } });
    }
    await this.updateNodeStatus(false);
  }

  private async waitForPodCIDR(signal: AbortSignal): Promise<string | undefined> {
    let logged = false;
    while (!signal.aborted) {
      const node = await this.client.get<Kube<Node>>(Resources.nodes, undefined, this.options.nodeName).catch(() => undefined);
      if (node?.spec?.podCIDR) return node.spec.podCIDR;
      if (!logged) { this.options.log("waiting for the node's pod CIDR from the node IPAM controller"); logged = true; }
      await new Promise((r) => setTimeout(r, 500));
    }
    return undefined;
  }

  private async updateNodeStatus(ready = true): Promise<void> {
    const images = await this.options.runtime.listImages().catch(() => []);
    const runtimeOk = await this.options.runtime.version().then(() => true, () => false);
    const ok = ready && runtimeOk && Boolean(this.nodeIP);
    const status = nodeStatus({
      nodeName: this.options.nodeName, nodeIP: this.nodeIP, dataDir: this.options.rootDir, kubeletPort: this.options.kubeletPort,
      runtimeVersion: this.options.runtime.name, kubeletVersion: this.options.kubeletVersion,
      ready: ok ? { ok, message: "kubelet is posting ready status" } : { ok, message: runtimeOk ? "container runtime network not ready: waiting for the node's pod CIDR" : "container runtime is down" },
      images: images.map((i) => ({ names: [...i.repoTags, ...i.repoDigests], sizeBytes: i.size })),
      // Read anew: others write the node's status too (extended resources into its capacity).
      previous: (await this.client.get<Kube<Node>>(Resources.nodes, undefined, this.options.nodeName).catch(() => this.node))?.status,
    });
    this.node = await this.client.patch<Kube<Node>>(Resources.nodes, undefined, this.options.nodeName, { status }, "merge", "status");
  }

  /**
   * Renews the node's Lease every 10 s, as upstream's lease controller: a
   * failed renewal is logged and retried after 200 ms, doubling up to 7 s, so
   * a short outage of the API server does not make the node go Unknown.
   */
  private keepLease(): { stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let backoff = 200;
    const renew = () => {
      void renewNodeLease(this.client, this.options.nodeName).then(() => {
        backoff = 200;
        if (!stopped) timer = setTimeout(renew, 10_000);
      }, (err) => {
        this.options.log("failed to renew the node lease, will retry", { node: this.options.nodeName, retryMs: backoff, err: String((err as Error)?.message ?? err) });
        if (!stopped) timer = setTimeout(renew, backoff);
        backoff = Math.min(backoff * 2, 7000);
      });
    };
    renew();
    return { stop: () => { stopped = true; clearTimeout(timer); } };
  }


  /** Upstream's PLEG: compares the runtime's containers with the last look, and wakes the pods that changed. */
  private async relist(): Promise<void> {
    const [containers, sandboxes] = await Promise.all([this.options.runtime.listContainers(), this.options.runtime.listPodSandbox()]);
    const now = new Map<string, string>();
    for (const c of containers) now.set(`c/${c.id}`, `${c.labels[Labels.podUid]}/${c.state}`);
    for (const s of sandboxes) now.set(`s/${s.id}`, `${s.labels[Labels.podUid]}/${s.state}`);
    const changed = new Set<string>();
    for (const [id, v] of now) if (this.relistState.get(id) !== v) changed.add(v.split("/")[0]!);
    for (const [id, v] of this.relistState) if (!now.has(id)) changed.add(v.split("/")[0]!);
    this.relistState = now;
    // Sandboxes of pods the API no longer has (deleted while the kubelet was away) are cleaned up.
    for (const v of now.values()) {
      const uid = v.split("/")[0]!;
      if (uid && !this.podsByUid.has(uid)) changed.add(uid);
    }
    for (const uid of changed) if (uid && uid !== "undefined") this.enqueue(uid);
  }

  /** Pods with a ready sandbox and containers by state, as the last relist saw them. */
  private runningCounts(): RunningCounts {
    const pods = new Set<string>();
    const containers = new Map<string, number>();
    for (const [id, v] of this.relistState) {
      const slash = v.lastIndexOf("/");
      const state = v.slice(slash + 1);
      if (id.startsWith("s/")) { if (state === "SANDBOX_READY") pods.add(v.slice(0, slash)); continue; }
      const name = state.replace(/^CONTAINER_/, "").toLowerCase();
      containers.set(name, (containers.get(name) ?? 0) + 1);
    }
    return { pods: pods.size, containers };
  }

  enqueue(uid: string): void {
    if (!this.signal || this.signal.aborted) return;
    const w = this.workers.get(uid);
    if (w?.running) { w.again = true; return; }
    const worker = w ?? { running: false, again: false };
    this.workers.set(uid, worker);
    worker.running = true;
    void (async () => {
      do {
        worker.again = false;
        try {
          await this.syncPod(uid);
        } catch (err) {
          this.options.log("pod sync failed", { uid, pod: this.podsByUid.get(uid) ? podKey(this.podsByUid.get(uid)!) : undefined, err: String((err as Error).message ?? err) });
          this.retry(uid, 2000);
        }
      } while (worker.again && !this.signal.aborted);
      worker.running = false;
      if (!this.podsByUid.has(uid) && !this.states.has(uid)) this.workers.delete(uid);
    })();
  }

  /** The pods this kubelet runs besides `uid`: admitted, not finished and not being deleted. */
  private admittedPods(uid: string): Pod[] {
    return [...this.states.keys()].filter((u) => u !== uid).map((u) => this.podsByUid.get(u))
      .filter((p): p is Pod => p !== undefined && !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
  }

  private retry(uid: string, ms: number): void {
    if (this.retryTimers.has(uid)) return;
    this.retryTimers.set(uid, setTimeout(() => { this.retryTimers.delete(uid); this.enqueue(uid); }, ms));
  }

  private async syncPod(uid: string): Promise<void> {
    const pod = this.podsByUid.get(uid);
    if (!pod) {
      // Gone from the API: nothing of it may stay on the node.
      await this.manager.removePod(uid);
      this.tokens.deleteServiceAccountToken(uid);
      this.states.delete(uid);
      this.lastStatus.delete(uid);
      clearTimeout(this.deadlineTimers.get(uid));
      this.deadlineTimers.delete(uid);
      this.firstSeen.delete(uid);
      return;
    }
    let state = this.states.get(uid);
    const started = performance.now();
    const operation = state ? "sync" : "create";
    if (!state) {
      const fresh = !pod.status?.phase || pod.status.phase === "Pending";
      const rejection = fresh && !pod.metadata.deletionTimestamp && this.node ? admitPod(pod, this.admittedPods(uid), this.node) : undefined;
      state = { waiting: new Map(), startTime: pod.status?.startTime ?? rfc3339() };
      this.states.set(uid, state);
      if (rejection) {
        // Upstream's rejectPod: a Warning event and a Failed phase; none of its containers start.
        this.recorderImpl.event({ ...pod, kind: "Pod", apiVersion: "v1" } as KubeObject, "Warning", rejection.reason, rejection.message);
        await this.pushStatus(pod, await this.manager.podStatus(uid), state, rejection);
        return;
      }
      // A pod adopted running (after a kubelet restart) has no start to time.
      if (fresh) this.firstSeen.set(uid, started);
    }
    if (pod.metadata.deletionTimestamp) {
      if (state.killing) return;
      state.killing = true;
      try {
        const rt = await this.manager.killPod(pod, this.manager.gracePeriod(pod));
        await this.pushStatus(pod, rt, state).catch(() => undefined);
        await this.manager.removePod(uid);
        // The containers are gone: the API object may go now (upstream's kubelet makes this final delete).
        await this.client.delete(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } }).catch((err) => {
          if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err;
        });
      } finally {
        state.killing = false;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase !== "Succeeded" && phase !== "Failed" && await this.enforceActiveDeadline(pod, state)) return;
    if (phase === "Succeeded" || phase === "Failed") {
      // Terminal pods keep their containers (for logs) but no longer hold a sandbox or address.
      const rt = await this.manager.podStatus(uid);
      if (rt.sandboxes.some((s) => s.state === "SANDBOX_READY") || rt.containers.some((c) => c.state === "CONTAINER_RUNNING")) await this.manager.killPod(pod, this.manager.gracePeriod(pod));
      return;
    }
    let syncError: unknown;
    try {
      await this.manager.syncPod(pod, state);
    } catch (err) {
      syncError = err;
    }
    const rt = await this.manager.podStatus(uid);
    const status = await this.pushStatus(pod, rt, state);
    this.metrics.podSynced(operation, (performance.now() - started) / 1000);
    const seen = this.firstSeen.get(uid);
    if (seen !== undefined && status.phase !== "Pending") {
      this.firstSeen.delete(uid);
      if (status.phase === "Running") this.metrics.podStarted((performance.now() - seen) / 1000);
    }
    if (status.phase === "Succeeded" || status.phase === "Failed") {
      await this.manager.killPod(pod, 0);
    } else if (state.waiting.size > 0 || (pod.spec.initContainers?.length && status.conditions?.find((c) => c.type === "Initialized")?.status !== "True")) {
      // Back-offs and init containers move on with time, not with an event.
      this.retry(uid, 1000);
    }
    if (syncError) throw syncError;
  }

  /**
   * Upstream's activeDeadlineHandler: a pod active on the node longer than
   * spec.activeDeadlineSeconds (counted from its startTime) fails with
   * DeadlineExceeded and its containers are killed. Otherwise the pod is looked
   * at again when its deadline comes; the deadline may change on a running pod,
   * and each sync sets the timer anew. Returns whether the pod was failed.
   */
  private async enforceActiveDeadline(pod: Pod, state: PodState): Promise<boolean> {
    const uid = String(pod.metadata.uid);
    clearTimeout(this.deadlineTimers.get(uid));
    this.deadlineTimers.delete(uid);
    const seconds = pod.spec.activeDeadlineSeconds;
    if (typeof seconds !== "number" || !state.startTime) return false;
    const left = Date.parse(state.startTime) + seconds * 1000 - Date.now();
    if (left > 0) {
      this.deadlineTimers.set(uid, setTimeout(() => { this.deadlineTimers.delete(uid); this.enqueue(uid); }, Math.min(left, 2 ** 31 - 1)));
      return false;
    }
    const evicted = { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" };
    this.recorderImpl.event({ ...pod, kind: "Pod", apiVersion: "v1" }, "Normal", evicted.reason, evicted.message);
    // Failed first, so that the pod is seen failing while its containers take their grace period to stop.
    await this.pushStatus(pod, await this.manager.podStatus(uid), state, evicted);
    const rt = await this.manager.killPod(pod, this.manager.gracePeriod(pod));
    await this.pushStatus(pod, rt, state, evicted);
    return true;
  }

  private async pushStatus(pod: Pod, rt: Awaited<ReturnType<RuntimeManager["podStatus"]>>, state: PodState, evicted?: { reason: string; message: string }): Promise<ReportedPodStatus> {
    const uid = String(pod.metadata.uid);
    const status = generatePodStatus({
      pod, rt, state, prober: this.prober, hostIP: this.nodeIP, runtimeName: this.options.runtime.name, evicted,
      terminationMessage: (c, spec) => this.manager.terminationMessage(c, spec, this.volumes.podDir(uid)),
    });
    const previous = this.lastStatus.get(uid) ?? pod.status;
    if (jsonEqual(stripTimes(previous), stripTimes(status))) return status;
    await this.client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { status }, "merge", "status");
    this.lastStatus.set(uid, status);
    return status;
  }
}

/** Status compared without condition timestamps, which only move with a real change. */
function stripTimes(s: ReportedPodStatus | undefined): ReportedPodStatus | undefined {
  if (!s) return s;
  return { ...s, conditions: (s.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })) };
}
