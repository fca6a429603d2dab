/**
 * API aggregation (apiregistration.k8s.io/v1): APIServices, their
 * availability, discovery of and proxying to extension API servers.
 */
export { Aggregator, AUTOMANAGED_LABEL, aggregatedResources, type AggregatorOptions } from "./aggregator.js";
export { checkAvailability, type AvailabilityDependencies } from "./availability.js";
export { extensionAuthenticationConfigMap, extensionAuthenticationData, EXTENSION_AUTHENTICATION_CONFIGMAP } from "./extension-authentication.js";
export { AggregatedOpenApi, type AggregatedV3Document } from "./openapi.js";
