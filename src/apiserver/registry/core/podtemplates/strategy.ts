/** PodTemplates: their pod spec defaulted as a pod's. */
import type { PodTemplate } from "kubernetes-types/core/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import type { Stored, Strategy } from "../../strategy.js";

export const podTemplateStrategy: Strategy<Stored<PodTemplate>> = {
  defaults(o) { defaultPodTemplate(o.template); },
};
