/**
 * componentstatuses (v1, deprecated since 1.19 and still served in 1.32):
 * the health of the scheduler, the controller manager and the datastore,
 * computed on each read and never stored. Upstream probes the components'
 * /healthz ports on the server's host; here they run as leader-elected
 * pieces, possibly of another server, so a component is healthy while some
 * instance holds its leader Lease, as its healthz reports leadership health.
 */
import type { ComponentCondition, ComponentStatus } from "kubernetes-types/core/v1.js";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import { notFound } from "../api/errors.js";
import { tablePrinter, type Table } from "../api/tables.js";

/** The deprecation warning upstream sends with every request for the resource. */
export const COMPONENT_STATUS_WARNING = "v1 ComponentStatus is deprecated in v1.19+";

export interface ComponentStatusSources {
  /** A kube-system Lease, undefined when absent. */
  lease(name: string): Promise<Lease | undefined>;
  /** Resolves when the datastore answers. */
  storage(): Promise<unknown>;
}

const LEADER_LEASES: [component: string, lease: string][] = [
  ["scheduler", "kube-scheduler"], ["controller-manager", "kube-controller-manager"],
];

type Named = ComponentStatus & { metadata: { name: string } };

const printer = tablePrinter<Named>([["Status"], ["Message"], ["Error"]], (o) => {
  const c = o.conditions?.find((x) => x.type === "Healthy");
  return [c ? (c.status === "True" ? "Healthy" : "Unhealthy") : "Unknown", c?.message ?? "", c?.error ?? ""];
});

export class ComponentStatuses {
  constructor(private readonly sources: ComponentStatusSources, private readonly now: () => number = Date.now) {}

  /** One component's status, or the list of all, as upstream's REST storage answers get and list. */
  async get(name: string | undefined): Promise<ComponentStatus | { kind: "ComponentStatusList"; apiVersion: "v1"; metadata: object; items: ComponentStatus[] }> {
    const items = await this.all();
    if (name === undefined) return { kind: "ComponentStatusList", apiVersion: "v1", metadata: {}, items };
    const one = items.find((i) => i.metadata?.name === name);
    if (!one) throw notFound("componentstatuses", "", name);
    return one;
  }

  async table(name: string | undefined, includeObject: string): Promise<Table> {
    const items = (await this.all()).filter((i) => name === undefined || i.metadata?.name === name);
    if (name !== undefined && !items.length) throw notFound("componentstatuses", "", name);
    const now = this.now();
    return {
      kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: {}, columnDefinitions: printer.columns,
      rows: items.map((o) => ({
        cells: printer.row(o as Named, now),
        object: includeObject === "Object" ? o : includeObject === "None" ? null : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
      })),
    };
  }

  private async all(): Promise<ComponentStatus[]> {
    const leaders = await Promise.all(LEADER_LEASES.map(async ([component, lease]) => status(component, await this.leaderCondition(lease))));
    return [...leaders, status("etcd-0", await this.storageCondition())];
  }

  private async leaderCondition(name: string): Promise<ComponentCondition> {
    let lease: Lease | undefined;
    try {
      lease = await this.sources.lease(name);
    } catch (err) {
      return { type: "Healthy", status: "Unknown", error: `reading Lease kube-system/${name}: ${(err as Error).message}` };
    }
    const spec = lease?.spec;
    const renewed = spec?.renewTime ?? spec?.acquireTime;
    const expires = renewed ? Date.parse(renewed) + (spec?.leaseDurationSeconds ?? 15) * 1000 : 0;
    if (spec?.holderIdentity && expires > this.now()) return { type: "Healthy", status: "True", message: "ok" };
    return { type: "Healthy", status: "False", error: `no instance holds the leader Lease kube-system/${name}` };
  }

  private async storageCondition(): Promise<ComponentCondition> {
    try {
      await this.sources.storage();
      return { type: "Healthy", status: "True", message: "ok" };
    } catch (err) {
      return { type: "Healthy", status: "Unknown", error: (err as Error).message };
    }
  }
}

function status(name: string, condition: ComponentCondition): ComponentStatus {
  return { kind: "ComponentStatus", apiVersion: "v1", metadata: { name }, conditions: [condition] };
}
