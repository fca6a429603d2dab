/**
 * Services: an empty load-balancer status on create. Addresses and node
 * ports are taken around storage by service-allocations.ts.
 */
import type { Service } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const serviceStrategy: Strategy<Stored<Service>> = {
  prepareForCreate(o) { o.status = { loadBalancer: {} }; },
};
