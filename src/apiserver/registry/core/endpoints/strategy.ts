/** Endpoints: TCP ports by default; the endpoints controller writes them with a PUT, created or not. */
import type { EndpointPort, Endpoints } from "kubernetes-types/core/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

/** A subset without ports lists its addresses alone. */
const noPorts: Partial<EndpointPort>[] = [{}];

/** The first three addresses with their ports, and how many more. */
const endpointsTable = tablePrinter<Stored<Endpoints>>([["Endpoints"], ["Age"]], (o, now) => {
  const eps: string[] = [];
  for (const s of o.subsets ?? []) for (const a of s.addresses ?? []) for (const p of s.ports ?? noPorts) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
  const text = eps.length > 3 ? `${eps.slice(0, 3).join(",")} + ${eps.length - 3} more...` : eps.join(",");
  return [text || "<none>", age(o.metadata.creationTimestamp, now)];
});

export const endpointsStrategy: Strategy<Stored<Endpoints>> = {
  defaults(o) {
    for (const s of o.subsets ?? []) for (const p of s.ports ?? []) p.protocol ??= "TCP";
  },
  allowCreateOnUpdate: true,
  printer: endpointsTable,
};
