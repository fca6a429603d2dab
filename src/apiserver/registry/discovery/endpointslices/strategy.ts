/** EndpointSlices: ports are TCP by default; a change of what they list is a new generation. */
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import { bumpGenerationOnChange, type Stored, type Strategy } from "../../strategy.js";

const endpointSliceTable = tablePrinter<Stored<EndpointSlice>>([["AddressType"], ["Ports"], ["Endpoints"], ["Age"]], (o, now) => {
  const ports = (o.ports ?? []).map((p) => p.port).join(",") || "<unset>";
  const addrs = (o.endpoints ?? []).flatMap((e) => e.addresses ?? []);
  const text = addrs.length > 3 ? `${addrs.slice(0, 3).join(",")} + ${addrs.length - 3} more...` : addrs.join(",");
  return [o.addressType ?? "", ports, text || "<unset>", age(o.metadata.creationTimestamp, now)];
});

export const endpointSliceStrategy: Strategy<Stored<EndpointSlice>> = {
  defaults(o) {
    for (const p of o.ports ?? []) p.protocol ??= "TCP";
  },
  printer: endpointSliceTable,
  // No spec: upstream bumps generation when the endpoints, ports or address type change.
  prepareForUpdate: bumpGenerationOnChange,
};
