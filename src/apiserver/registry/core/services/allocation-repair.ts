/**
 * Upstream's ClusterIP and NodePort repair controllers, run by every API
 * server: now and then the allocation bitmaps are rebuilt from the Services
 * that exist and written back by compare-and-swap.
 *
 * - a Service whose address or port the bitmap lacks gets it marked again
 *   (Event ClusterIPNotAllocated / PortNotAllocated, "repairing");
 * - a Service outside the range, or holding what an earlier Service holds,
 *   gets a Warning Event (ClusterIPOutOfRange, ClusterIPAlreadyAllocated,
 *   PortOutOfRange, PortAlreadyAllocated): only its owner can fix it;
 * - a value marked but held by no Service (a server crashed between taking
 *   and writing) is a leak, given back once it has been one for three runs
 *   in a row, so that a create in flight (taken, not yet written) keeps it.
 *
 * The bitmap is read before the Services are listed: a value taken after
 * the read changes the record, the write then loses its swap and the run
 * starts over. Events are sent only for the run that was written, so a lost
 * race reports nothing.
 *
 * The first run creates the records; the API server awaits it before it
 * serves (upstream's start-service-ip-repair-controllers hook).
 */
import type { Service } from "kubernetes-types/core/v1.js";
import { isStoreError } from "../../../../storage/index.js";
import { AllocationError, ipToNumber, numberToIp, type RangeAllocator } from "../../allocator.js";
import type { StorageAllocator } from "../../storage-allocator.js";
import { nodePortsOf, type ServiceAllocations } from "./service-allocations.js";
import type { Obj } from "../../object-store.js";

/** How many runs in a row a value must look leaked before it is given back (upstream's numRepairsBeforeLeakCleanup). */
export const REPAIRS_BEFORE_LEAK_CLEANUP = 3;

export interface RepairEvent {
  service: Service;
  reason: string;
  message: string;
  /** Upstream's events.k8s.io action: ClusterIPAllocation, PortAllocation. */
  action: string;
  /** ipallocator-repair-controller or portallocator-repair-controller. */
  component: string;
}

export interface AllocationRepairOptions {
  allocations: ServiceAllocations;
  /** Every Service, in all namespaces, read from storage. */
  listServices: () => Promise<Service[]>;
  /** Sends a Warning Event about a Service. */
  recordEvent: (event: RepairEvent) => void;
  /** Upstream's 3 minutes by default. */
  intervalMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** How one range's values are read off a Service and told about. */
interface RangeKind {
  component: string;
  action: string;
  /** The values a Service holds in this range (as numbers), and those that are not values at all. */
  valuesOf(svc: Service): { values: number[]; invalid: string[] };
  show(value: number): string;
  /** For a value that is no value at all (a ClusterIP that is no IP). */
  notValid?(text: string): [string, string];
  notAllocated(value: number): [string, string];
  outOfRange(value: number, range: string): [string, string];
  duplicate(value: number): [string, string];
}

const clusterIPs: RangeKind = {
  component: "ipallocator-repair-controller",
  action: "ClusterIPAllocation",
  valuesOf(svc) {
    const spec = svc.spec;
    if (!spec?.clusterIP || spec.clusterIP === "None" || spec.type === "ExternalName") return { values: [], invalid: [] };
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP];
    const values: number[] = [];
    const invalid: string[] = [];
    for (const ip of ips) {
      const n = ipToNumber(ip);
      if (n === undefined) invalid.push(ip);
      else values.push(n);
    }
    return { values, invalid };
  },
  show: numberToIp,
  notValid: (ip) => ["ClusterIPNotValid", `Cluster IP ${ip} is not a valid IP; please recreate service`],
  notAllocated: (ip) => ["ClusterIPNotAllocated", `Cluster IP [IPv4]:${numberToIp(ip)} is not allocated; repairing`],
  outOfRange: (ip, range) => ["ClusterIPOutOfRange", `Cluster IP [IPv4]:${numberToIp(ip)} is not within the service CIDR ${range}; please recreate service`],
  duplicate: (ip) => ["ClusterIPAlreadyAllocated", `Cluster IP [IPv4]:${numberToIp(ip)} was assigned to multiple services; please recreate service`],
};

const nodePorts: RangeKind = {
  component: "portallocator-repair-controller",
  action: "PortAllocation",
  valuesOf: (svc) => ({ values: nodePortsOf(svc as Obj), invalid: [] }),
  show: String,
  notAllocated: (port) => ["PortNotAllocated", `Port ${port} is not allocated; repairing`],
  outOfRange: (port, range) => ["PortOutOfRange", `Port ${port} is not within the port range ${range}; please recreate service`],
  duplicate: (port) => ["PortAlreadyAllocated", `Port ${port} was assigned to multiple services; please recreate service`],
};

/** One range's repair, with its memory of leaks between runs. */
class RangeRepair {
  /** Runs left before a leaked value is given back. */
  private readonly leaks = new Map<number, number>();

  constructor(private readonly allocator: StorageAllocator, private readonly kind: RangeKind, private readonly options: AllocationRepairOptions) {}

  /** One run; a lost swap starts it over (a few times, as upstream's RetryOnConflict). */
  async run(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.runOnce();
        return;
      } catch (err) {
        const lostRace = isStoreError(err, "Conflict") || isStoreError(err, "KeyExists");
        if (!lostRace || attempt >= 4) throw err;
      }
    }
  }

  private async runOnce(): Promise<void> {
    const stored = await this.allocator.read();
    const services = await this.options.listServices();
    const rebuilt = this.allocator.newAllocator();
    const events: RepairEvent[] = [];
    const event = (service: Service, [reason, message]: [string, string]) =>
      events.push({ service, reason, message, action: this.kind.action, component: this.kind.component });
    const range = this.allocator.spec.range;
    const unclaimed = stored?.allocator.clone();
    const leaks = new Map(this.leaks);
    for (const svc of services) {
      const { values, invalid } = this.kind.valuesOf(svc);
      for (const text of invalid) if (this.kind.notValid) event(svc, this.kind.notValid(text));
      for (const value of values) {
        try {
          rebuilt.allocate(value);
        } catch (err) {
          if (!(err instanceof AllocationError)) throw err;
          event(svc, err.reason === "notInRange" ? this.kind.outOfRange(value, range) : this.kind.duplicate(value));
          continue;
        }
        // With no record at all this is the first run on older data, not something to repair.
        if (unclaimed?.has(value)) unclaimed.release(value);
        else if (stored) event(svc, this.kind.notAllocated(value));
        leaks.delete(value);
      }
    }
    // What is marked but held by no Service: kept for a while, then given back.
    for (const value of unclaimed?.values() ?? []) {
      const left = leaks.get(value) ?? REPAIRS_BEFORE_LEAK_CLEANUP - 1;
      if (left > 0) {
        if (!leaks.has(value)) this.options.log?.("allocation may have leaked: flagging for later clean up", { range, value: this.kind.show(value) });
        leaks.set(value, left - 1);
        rebuilt.allocate(value);
      } else {
        this.options.log?.("allocation appears to have leaked: cleaning up", { range, value: this.kind.show(value) });
        leaks.delete(value);
      }
    }
    if (!stored || stored.range !== range || !sameValues(stored.allocator, rebuilt)) await this.allocator.write(rebuilt, stored?.revision ?? 0);
    this.leaks.clear();
    for (const [k, v] of leaks) this.leaks.set(k, v);
    for (const e of events) this.options.recordEvent(e);
  }
}

function sameValues(a: RangeAllocator, b: RangeAllocator): boolean {
  return a.count() === b.count() && a.snapshot() === b.snapshot();
}

export class AllocationRepair {
  private readonly repairs: RangeRepair[];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly options: AllocationRepairOptions) {
    this.repairs = [
      new RangeRepair(options.allocations.clusterIPs, clusterIPs, options),
      new RangeRepair(options.allocations.nodePorts, nodePorts, options),
    ];
  }

  /** Both ranges repaired once; throws when a range could not be (the server must not allocate from a missing record). */
  async runOnce(): Promise<void> {
    for (const r of this.repairs) await r.run();
  }

  /** The first run, awaited, then one every interval. */
  async start(): Promise<void> {
    await this.runOnce();
    const interval = this.options.intervalMs ?? 3 * 60_000;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err) => this.options.log?.("service allocation repair failed", { err: String(err) }))
        .finally(() => { this.running = undefined; });
    }, interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
