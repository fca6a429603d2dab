/** Endpoints: the endpoints controller writes them with a PUT, created or not. */
import type { Endpoints } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const endpointsStrategy: Strategy<Stored<Endpoints>> = {
  defaults(o) {
    for (const s of o.subsets ?? []) for (const p of s.ports ?? []) p.protocol ??= "TCP";
  },
  allowCreateOnUpdate: true,
};
