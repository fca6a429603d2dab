/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's:
 * a candidate takes the Lease when it is free or its holder stopped renewing
 * it for leaseDuration, the leader renews it every retryPeriod, and a leader
 * that cannot renew within renewDeadline stops leading.
 */
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Client, KubeObject } from "./client.js";
import { Resources } from "./resources.js";
import { microTime } from "../api/time.js";
import type { LeaderElectionMetrics } from "./leader-election-metrics.js";

export interface LeaderElectionOptions {
  name: string;
  namespace?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Reports leading as leader_election_master_status. */
  metrics?: LeaderElectionMetrics;
}

type Lease = KubeObject & { spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number } };

/** Waits ms or until signal aborts; the abort listener goes with the timer, or every renewal would leave one behind. */
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => {
  const onAbort = () => { clearTimeout(t); r(); };
  const t = setTimeout(() => { signal.removeEventListener("abort", onAbort); r(); }, ms);
  signal.addEventListener("abort", onAbort, { once: true });
});

export class LeaderElector {
  readonly identity: string;
  private readonly namespace: string;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;

  constructor(private readonly client: Client, private readonly options: LeaderElectionOptions) {
    this.identity = options.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`;
    this.namespace = options.namespace ?? "kube-system";
    this.leaseMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryMs = options.retryPeriodMs ?? 2_000;
  }

  /** One attempt to take or renew the Lease; true when this candidate holds it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    let lease: Lease | undefined;
    try {
      lease = await this.client.get<Lease>(Resources.leases, this.namespace, this.options.name);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: Math.round(this.leaseMs / 1000), renewTime: microTime(now) };
    if (!lease) {
      try {
        await this.client.create(Resources.leases, this.namespace, { metadata: { name: this.options.name }, spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 } });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 409) return false;
        throw err;
      }
    }
    const held = lease.spec?.holderIdentity;
    const renewed = Date.parse(lease.spec?.renewTime ?? "") || 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? 15) * 1000 < now;
    if (held && held !== this.identity && !expired) return false;
    const takeover = held !== this.identity;
    try {
      await this.client.update(Resources.leases, this.namespace, {
        ...lease,
        spec: { ...lease.spec, ...spec, ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}) },
      });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw err;
    }
  }

  /**
   * Waits to lead, then calls lead with a signal that aborts when leadership is
   * lost or the outer signal aborts. Resolves when leading has ended.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => void): Promise<void> {
    const metrics = this.options.metrics;
    metrics?.leading(this.options.name, false);
    while (!signal.aborted && !(await this.tryAcquireOrRenew().catch(() => false))) await sleep(this.retryMs, signal);
    if (signal.aborted) return;
    const leading = new AbortController();
    // Every informer and watch of the leader's controllers listens on this signal: dozens, by design.
    setMaxListeners(0, leading.signal);
    signal.addEventListener("abort", () => leading.abort(), { once: true });
    metrics?.leading(this.options.name, true);
    leading.signal.addEventListener("abort", () => metrics?.leading(this.options.name, false), { once: true });
    lead(leading.signal);
    let lastRenew = Date.now();
    while (!leading.signal.aborted) {
      await sleep(this.retryMs, leading.signal);
      if (leading.signal.aborted) break;
      const ok = await this.tryAcquireOrRenew().catch(() => false);
      if (ok) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.renewDeadlineMs) leading.abort();
    }
  }
}
