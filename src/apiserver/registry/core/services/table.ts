/** `kubectl get services`: type, addresses and ports. */
import type { Service, ServiceSpec } from "kubernetes-types/core/v1.js";
import { age, mapSelector, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

function servicePorts(spec: ServiceSpec | undefined): string {
  const ports = spec?.ports ?? [];
  if (ports.length === 0) return "<none>";
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}` : `${p.port}/${p.protocol ?? "TCP"}`)).join(",");
}

function externalIP(svc: Stored<Service>): string {
  const type = svc.spec?.type;
  const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname);
  const ext = svc.spec?.externalIPs ?? [];
  if (type === "ExternalName") return svc.spec?.externalName ?? "<none>";
  if (type === "LoadBalancer") return [...lb, ...ext].join(",") || "<pending>";
  return ext.length ? ext.join(",") : "<none>";
}

export const serviceTable = tablePrinter<Stored<Service>>(
  [["Type"], ["Cluster-IP"], ["External-IP"], ["Port(s)"], ["Age"], ["Selector", "string", 1]],
  (o, now) => [o.spec?.type ?? "ClusterIP", none(o.spec?.clusterIP), externalIP(o), servicePorts(o.spec), age(o.metadata.creationTimestamp, now), mapSelector(o.spec?.selector)],
);
