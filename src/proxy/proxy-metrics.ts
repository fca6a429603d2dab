/**
 * kube-proxy's Prometheus families (pkg/proxy/metrics) with upstream's names,
 * help texts and buckets: how long each sync took (and, for a proxier that
 * tells them apart, full and partial ones), when the last one succeeded and
 * was queued, how long an EndpointSlice change took to reach the kernel, and
 * the Service and EndpointSlice changes seen and still pending. Upstream
 * registers the failure counter of the mode in use only; so does this.
 */
import { Counter, Gauge, Histogram, exponentialBuckets, linearBuckets, type Registry } from "../metrics/index.js";

export type ProxyMode = "nftables" | "iptables" | "userspace";

const SYNC_BUCKETS = exponentialBuckets(0.001, 2, 15);
/** Upstream's MergeBuckets starts from a 0 bucket. */
const NETWORK_PROGRAMMING_BUCKETS = [0, ...linearBuckets(0.25, 0.25, 2), ...linearBuckets(1, 1, 59), ...linearBuckets(60, 5, 12), ...linearBuckets(120, 30, 7)];

/** What one sync did, for the families. */
export interface SyncObservation {
  seconds: number;
  ok: boolean;
  /** Whether it rewrote everything (true) or only what changed (false); undefined for a proxier that does not tell. */
  full?: boolean;
  /** When the EndpointSlice changes it programmed were made (ms since the epoch); observed only when ok. */
  changeTimes: number[];
}

export class ProxyMetrics {
  private readonly syncDuration: Histogram;
  private readonly syncFull?: Histogram;
  private readonly syncPartial?: Histogram;
  private readonly lastTimestamp: Gauge;
  private readonly lastQueued: Gauge;
  private readonly networkProgramming: Histogram;
  private readonly endpointChangesPending: Gauge;
  private readonly endpointChangesTotal: Counter;
  private readonly serviceChangesPending: Gauge;
  private readonly serviceChangesTotal: Counter;
  private readonly failures?: Counter;

  constructor(readonly registry: Registry, mode: ProxyMode, options: { fullAndPartial?: boolean } = {}) {
    const registers = [registry];
    this.syncDuration = new Histogram({ name: "kubeproxy_sync_proxy_rules_duration_seconds", help: "SyncProxyRules latency in seconds", buckets: SYNC_BUCKETS, registers });
    if (options.fullAndPartial) {
      this.syncFull = new Histogram({ name: "kubeproxy_sync_full_proxy_rules_duration_seconds", help: "SyncProxyRules latency in seconds for full resyncs", buckets: SYNC_BUCKETS, registers });
      this.syncPartial = new Histogram({ name: "kubeproxy_sync_partial_proxy_rules_duration_seconds", help: "SyncProxyRules latency in seconds for partial resyncs", buckets: SYNC_BUCKETS, registers });
    }
    this.lastTimestamp = new Gauge({ name: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", help: "The last time proxy rules were successfully synced", registers });
    this.lastQueued = new Gauge({ name: "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", help: "The last time a sync of proxy rules was queued", registers });
    this.networkProgramming = new Histogram({ name: "kubeproxy_network_programming_duration_seconds", help: "In Cluster Network Programming Latency in seconds", buckets: NETWORK_PROGRAMMING_BUCKETS, registers });
    this.endpointChangesPending = new Gauge({ name: "kubeproxy_sync_proxy_rules_endpoint_changes_pending", help: "Pending proxy rules Endpoint changes", registers });
    this.endpointChangesTotal = new Counter({ name: "kubeproxy_sync_proxy_rules_endpoint_changes_total", help: "Cumulative proxy rules Endpoint changes", registers });
    this.serviceChangesPending = new Gauge({ name: "kubeproxy_sync_proxy_rules_service_changes_pending", help: "Pending proxy rules Service changes", registers });
    this.serviceChangesTotal = new Counter({ name: "kubeproxy_sync_proxy_rules_service_changes_total", help: "Cumulative proxy rules Service changes", registers });
    if (mode === "iptables") this.failures = new Counter({ name: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total", help: "Cumulative proxy iptables restore failures", registers });
    if (mode === "nftables") this.failures = new Counter({ name: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", help: "Cumulative proxy nftables sync failures", registers });
  }

  /** A Service was added, updated or deleted; `pending` Services now wait for a sync. */
  serviceChanged(pending: number): void {
    this.serviceChangesTotal.inc();
    this.serviceChangesPending.set(pending);
  }

  /** An EndpointSlice was added, updated or deleted; `pending` slices now wait for a sync. */
  endpointsChanged(pending: number): void {
    this.endpointChangesTotal.inc();
    this.endpointChangesPending.set(pending);
  }

  queued(): void {
    this.lastQueued.setToCurrentTime();
  }

  /** A sync took what was pending: nothing waits any more until the next change. */
  syncStarted(): void {
    this.serviceChangesPending.set(0);
    this.endpointChangesPending.set(0);
  }

  synced(o: SyncObservation, now = Date.now()): void {
    this.syncDuration.observe(o.seconds);
    if (o.full !== undefined) (o.full ? this.syncFull : this.syncPartial)?.observe(o.seconds);
    if (!o.ok) {
      this.failures?.inc();
      return;
    }
    this.lastTimestamp.set(now / 1000);
    for (const t of o.changeTimes) this.networkProgramming.observe(Math.max(0, (now - t) / 1000));
  }
}
