/** DaemonSets: rolling updates one node at a time by default, a fixed selector, status is the daemonset controller's. */
import type { DaemonSet, DaemonSetSpec } from "kubernetes-types/apps/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { age, containers, images, mapSelector, selectorText, tablePrinter } from "../../../../api/tables.js";
import { immutableSelector, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

const daemonSetTable = tablePrinter<Stored<DaemonSet>>(
  [["Desired", "integer"], ["Current", "integer"], ["Ready", "integer"], ["Up-to-date", "integer"], ["Available", "integer"], ["Node Selector"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
  (o, now) => [o.status?.desiredNumberScheduled ?? 0, o.status?.currentNumberScheduled ?? 0, o.status?.numberReady ?? 0, o.status?.updatedNumberScheduled ?? 0, o.status?.numberAvailable ?? 0, mapSelector(o.spec?.template?.spec?.nodeSelector), age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)],
);

export const daemonSetStrategy: Strategy<Stored<DaemonSet>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as DaemonSetSpec);
    const update = (spec.updateStrategy ??= {});
    update.type ??= "RollingUpdate";
    if (update.type === "RollingUpdate") {
      update.rollingUpdate ??= {};
      update.rollingUpdate.maxUnavailable ??= 1;
      update.rollingUpdate.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  printer: daemonSetTable,
  validate: (o) => validateSelectorAndTemplate(o.spec ?? {}),
  validateUpdate: immutableSelector,
};
