/** Secrets: selectable by type. */
import type { Secret } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const secretStrategy: Strategy<Stored<Secret>> = {
  fieldSelectors: ["type"],
};
