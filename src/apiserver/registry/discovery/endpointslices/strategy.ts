/** EndpointSlices: ports are TCP by default. */
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const endpointSliceStrategy: Strategy<Stored<EndpointSlice>> = {
  defaults(o) {
    for (const p of o.ports ?? []) p.protocol ??= "TCP";
  },
};
