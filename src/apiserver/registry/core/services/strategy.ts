/**
 * Services: DNS-1035 names, defaults by type, an empty load-balancer status
 * on create. Addresses and node ports are taken around storage by
 * service-allocations.ts.
 */
import type { Service, ServiceSpec } from "kubernetes-types/core/v1.js";
import { dns1035Label } from "../../../../api/validation.js";
import type { Stored, Strategy } from "../../strategy.js";
import { serviceTable } from "./table.js";
import { validateService, validateServiceUpdate } from "./validation.js";

function defaultService(o: Stored<Service>): void {
  const spec = (o.spec ??= {} as ServiceSpec);
  spec.type ??= "ClusterIP";
  if (spec.type !== "ExternalName") {
    spec.sessionAffinity ??= "None";
    spec.internalTrafficPolicy ??= "Cluster";
  }
  for (const p of spec.ports ?? []) {
    p.protocol ??= "TCP";
    // Unset, 0 and "" all mean the port itself: client-go sends an unset IntOrString as 0.
    if (spec.type !== "ExternalName" && (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "")) p.targetPort = p.port;
  }
  if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
  if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.sessionAffinity === "ClientIP") {
    spec.sessionAffinityConfig ??= { clientIP: {} };
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
}

export const serviceStrategy: Strategy<Stored<Service>> = {
  defaults: defaultService,
  nameValidation: dns1035Label,
  prepareForCreate(o) { o.status = { loadBalancer: {} }; },
  printer: serviceTable,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
};
