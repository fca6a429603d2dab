/** CustomResourceDefinitions: status is the establishing controller's. */
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const customResourceDefinitionStrategy: Strategy<Stored<CustomResourceDefinition>> = {
  prepareForCreate: clearStatus,
};
