/**
 * What the proxiers (nftables, iptables, the userspace relay) share:
 * informers over Services and EndpointSlices, changes arriving together
 * applied together, one update at a time, and a failed update retried from
 * scratch.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { InformerFactory, Resources, type Client, type Informer, type Kube } from "../client/index.js";
import { Registry } from "../metrics/index.js";
import { servicePorts, type ServicePort } from "./service-ports.js";
import { ProxyMetrics, type ProxyMode } from "./proxy-metrics.js";

export interface BaseProxierOptions {
  nodeName: string;
  nodeIPs: string[];
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Where kube-proxy's families go; the proxier's own registry when unset. */
  metricsRegistry?: Registry;
}

/** The annotation the EndpointSlice controller stamps with the time of the change a slice reflects. */
export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** The kernel proxiers' options. */
export interface ProxierOptions extends BaseProxierOptions {
  /** The bridge that carries this node's pods. */
  bridge: string;
  /**
   * Further interfaces that carry pod traffic to other nodes (the overlay's VXLAN device, or for host-gw
   * the interface of the node's address, where the overlay's blackhole route keeps unknown pod addresses
   * from the default route).
   */
  podInterfaces?: string[];
  serviceCIDR?: string;
  clusterCIDR?: string;
}

export const MASQ_MARK = "0x4000";

export abstract class Proxier<O extends BaseProxierOptions = ProxierOptions> {
  protected readonly informers: InformerFactory;
  protected readonly services: Informer<Kube<Service>>;
  protected readonly slices: Informer<Kube<EndpointSlice>>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The Services (`namespace/name`) whose Service or slices changed since the last round, or all of them. */
  private changed: Set<string> | "all" = "all";
  private started = false;
  /** Kernel updates applied, for tests and benchmarks. */
  syncs = 0;
  /** Bridged traffic goes through netfilter only with br_netfilter; without it every service connection is masqueraded. */
  protected readonly masqueradeAll: boolean;
  /** kube-proxy's families (served by the node, see src/agent). */
  readonly metrics: ProxyMetrics;
  /** Services and EndpointSlices (`namespace/name`) changed since the last round began, for the pending gauges. */
  private readonly pendingServices = new Set<string>();
  private readonly pendingSlices = new Set<string>();
  /** When the EndpointSlice changes not yet programmed were triggered (ms), by Service, for the network programming latency. */
  private changeTimes = new Map<string, number[]>();
  /** As upstream's change tracker, changes triggered before the proxy started are not its latency. */
  private readonly startTime = Date.now();
  /** Set by apply(): whether the round rewrote everything, for a proxier that also does partial rounds. */
  protected lastSyncFull?: boolean;

  constructor(client: Client, protected readonly options: O) {
    const brnf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    this.masqueradeAll = !(existsSync(brnf) && readFileSync(brnf, "utf8").trim() === "1");
    this.metrics = new ProxyMetrics(options.metricsRegistry ?? new Registry(), this.proxyMode(), { fullAndPartial: this.partialSyncs() });
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Kube<Service>>(Resources.services);
    this.slices = this.informers.informer<Kube<EndpointSlice>>(Resources.endpointslices);
    const touch = (key: string) => {
      if (this.changed !== "all") this.changed.add(key);
      // Before the caches are whole, a round would program a partial table.
      if (this.started) {
        this.metrics.queued();
        this.schedule(1);
      }
    };
    const service = (o: Kube<Service>) => {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      this.pendingServices.add(key);
      this.metrics.serviceChanged(this.pendingServices.size);
      touch(key);
    };
    const serviceOf = (o: Kube<EndpointSlice>) => `${o.metadata.namespace}/${o.metadata.labels?.["kubernetes.io/service-name"]}`;
    const slice = (o: Kube<EndpointSlice>, deleted = false) => {
      this.pendingSlices.add(`${o.metadata.namespace}/${o.metadata.name}`);
      this.metrics.endpointsChanged(this.pendingSlices.size);
      // As upstream: a deletion's annotation is the time of the slice's last update, not of this change, so
      // the Service's pending times go; a slice without the annotation is not measured.
      const service = serviceOf(o);
      if (deleted) this.changeTimes.delete(service);
      else {
        const t = triggerTime(o);
        if (t !== undefined && t > this.startTime) this.changeTimes.set(service, [...(this.changeTimes.get(service) ?? []), t]);
      }
      touch(service);
    };
    this.services.addEventHandler({ add: service, update: (_old, o) => service(o), delete: service });
    this.slices.addEventHandler({
      add: (o) => slice(o),
      update: (old, o) => { if (serviceOf(old) !== serviceOf(o)) touch(serviceOf(old)); slice(o); },
      delete: (o) => slice(o, true),
    });
  }

  /** Which proxier this is, for the failure counter upstream registers per mode. */
  protected abstract proxyMode(): ProxyMode;

  /** Whether rounds are full or partial (kubeproxy_sync_{full,partial}_proxy_rules_duration_seconds). */
  protected partialSyncs(): boolean {
    return false;
  }

  /** Resolves once the kernel holds the rules for what the caches hold. */
  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    this.started = true;
    this.metrics.queued();
    await this.sync();
    signal.addEventListener("abort", () => clearTimeout(this.timer), { once: true });
  }

  /** Changes arriving together (a rollout touches many slices at once) are applied together, after the round in flight. */
  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, delayMs);
  }

  /**
   * Applies what is current. The kernel tool runs as a child process, not
   * blocking the event loop (which, in `skiff server`, the API server
   * shares); a round waits for the one in flight, and changes arriving
   * meanwhile are applied by the next round.
   */
  async sync(): Promise<void> {
    while (this.running) await this.running;
    const changed = this.changed;
    this.changed = new Set();
    const pendingTimes = this.changeTimes;
    this.changeTimes = new Map();
    const changeTimes = [...pendingTimes.values()].flat();
    this.pendingServices.clear();
    this.pendingSlices.clear();
    this.metrics.syncStarted();
    const started = performance.now();
    this.lastSyncFull = undefined;
    this.running = this.apply(changed).then((ok) => {
      this.metrics.synced({ seconds: (performance.now() - started) / 1000, ok, full: this.lastSyncFull, changeTimes });
      if (ok) { this.syncs++; return; }
      // Not programmed: the next round that succeeds measures these changes.
      for (const [service, times] of pendingTimes) this.changeTimes.set(service, [...times, ...(this.changeTimes.get(service) ?? [])]);
      this.changed = "all";
      this.forget();
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule(1000);
    }).finally(() => { this.running = undefined; });
    return this.running;
  }

  /** The Service ports as this node sees them. */
  protected ports(): ServicePort[] {
    return servicePorts(this.services.list(), this.slices.list(), this.options.nodeName);
  }

  /** Programs the kernel for what changed (the Services by key); false when that failed. */
  protected abstract apply(changed: Set<string> | "all"): Promise<boolean>;

  /** After a failure, what was applied is unknown: the next round rewrites everything. */
  protected abstract forget(): void;
}

/** When the change an EndpointSlice reflects was triggered: its annotation, which the EndpointSlice controller writes. */
function triggerTime(slice: Kube<EndpointSlice>): number | undefined {
  const stamped = Date.parse(slice.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME] ?? "");
  return Number.isNaN(stamped) ? undefined : stamped;
}

/** Runs a kernel tool with a script on its standard input, without blocking the event loop. */
export function runWithInput(cmd: string, args: string[], input: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.once("error", (err) => resolve({ status: null, stderr: err.message }));
    child.once("close", (status) => resolve({ status, stderr }));
    // A tool that exits before reading all its input must not take the process down with EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}
