/**
 * The strategy of every built-in resource, by `resource.group` (upstream's
 * GroupResource): adding a resource is its folder under
 * `registry/<group>/<resource>/` and one line here. A resource not listed
 * has the generic behaviour of every Strategy member; custom resources get
 * theirs from their CRD.
 */
import { qualifiedResource } from "../../api/errors.js";
import type { ResourceInfo } from "../../api/resources.js";
import { customResourceDefinitionStrategy } from "./apiextensions/customresourcedefinitions/strategy.js";
import { customResourceStrategy } from "./apiextensions/customresources/strategy.js";
import { controllerRevisionStrategy } from "./apps/controllerrevisions/strategy.js";
import { validatingAdmissionPolicyBindingStrategy, validatingAdmissionPolicyStrategy } from "./admissionregistration/validatingadmissionpolicies/strategy.js";
import { daemonSetStrategy } from "./apps/daemonsets/strategy.js";
import { deploymentStrategy } from "./apps/deployments/strategy.js";
import { replicaSetStrategy } from "./apps/replicasets/strategy.js";
import { statefulSetStrategy } from "./apps/statefulsets/strategy.js";
import { horizontalPodAutoscalerStrategy } from "./autoscaling/horizontalpodautoscalers/strategy.js";
import { cronJobStrategy } from "./batch/cronjobs/strategy.js";
import { jobStrategy } from "./batch/jobs/strategy.js";
import { certificateSigningRequestStrategy } from "./certificates/certificatesigningrequests/strategy.js";
import { leaseStrategy } from "./coordination/leases/strategy.js";
import { configMapStrategy } from "./core/configmaps/strategy.js";
import { endpointsStrategy } from "./core/endpoints/strategy.js";
import { eventStrategy } from "./core/events/strategy.js";
import { eventsV1EventStrategy } from "./events/events/strategy.js";
import { namespaceStrategy } from "./core/namespaces/strategy.js";
import { nodeStrategy } from "./core/nodes/strategy.js";
import { persistentVolumeClaimStrategy } from "./core/persistentvolumeclaims/strategy.js";
import { persistentVolumeStrategy } from "./core/persistentvolumes/strategy.js";
import { podStrategy } from "./core/pods/strategy.js";
import { podTemplateStrategy } from "./core/podtemplates/strategy.js";
import { replicationControllerStrategy } from "./core/replicationcontrollers/strategy.js";
import { resourceQuotaStrategy } from "./core/resourcequotas/strategy.js";
import { secretStrategy } from "./core/secrets/strategy.js";
import { serviceAccountStrategy } from "./core/serviceaccounts/strategy.js";
import { serviceStrategy } from "./core/services/strategy.js";
import { endpointSliceStrategy } from "./discovery/endpointslices/strategy.js";
import { ingressClassStrategy } from "./networking/ingressclasses/strategy.js";
import { ingressStrategy } from "./networking/ingresses/strategy.js";
import { networkPolicyStrategy } from "./networking/networkpolicies/strategy.js";
import { podDisruptionBudgetStrategy } from "./policy/poddisruptionbudgets/strategy.js";
import { roleBindingStrategy } from "./rbac/rolebindings/strategy.js";
import { roleStrategy } from "./rbac/roles/strategy.js";
import { priorityClassStrategy } from "./scheduling/priorityclasses/strategy.js";
import { limitRangeStrategy } from "./core/limitranges/strategy.js";
import { runtimeClassStrategy } from "./node/runtimeclasses/strategy.js";
import { storageClassStrategy } from "./storage/storageclasses/strategy.js";
import { apiServiceStrategy } from "./apiregistration/apiservices/strategy.js";
import { mutatingWebhookConfigurationStrategy, validatingWebhookConfigurationStrategy } from "./admissionregistration/webhookconfigurations/strategy.js";
import type { Strategy } from "./strategy.js";

export const strategies: Readonly<Record<string, Strategy>> = {
  "validatingadmissionpolicies.admissionregistration.k8s.io": validatingAdmissionPolicyStrategy as Strategy,
  "validatingadmissionpolicybindings.admissionregistration.k8s.io": validatingAdmissionPolicyBindingStrategy as Strategy,
  "namespaces": namespaceStrategy,
  "pods": podStrategy,
  "services": serviceStrategy,
  "endpoints": endpointsStrategy,
  "configmaps": configMapStrategy,
  "secrets": secretStrategy,
  "nodes": nodeStrategy,
  "events": eventStrategy,
  "serviceaccounts": serviceAccountStrategy,
  "persistentvolumes": persistentVolumeStrategy,
  "persistentvolumeclaims": persistentVolumeClaimStrategy,
  "replicationcontrollers": replicationControllerStrategy,
  "podtemplates": podTemplateStrategy,
  "resourcequotas": resourceQuotaStrategy,
  "deployments.apps": deploymentStrategy,
  "replicasets.apps": replicaSetStrategy,
  "statefulsets.apps": statefulSetStrategy,
  "daemonsets.apps": daemonSetStrategy,
  "controllerrevisions.apps": controllerRevisionStrategy,
  "jobs.batch": jobStrategy,
  "cronjobs.batch": cronJobStrategy,
  "horizontalpodautoscalers.autoscaling": horizontalPodAutoscalerStrategy,
  "ingresses.networking.k8s.io": ingressStrategy,
  "ingressclasses.networking.k8s.io": ingressClassStrategy,
  "networkpolicies.networking.k8s.io": networkPolicyStrategy,
  "endpointslices.discovery.k8s.io": endpointSliceStrategy,
  "leases.coordination.k8s.io": leaseStrategy,
  "events.events.k8s.io": eventsV1EventStrategy,
  "poddisruptionbudgets.policy": podDisruptionBudgetStrategy,
  "roles.rbac.authorization.k8s.io": roleStrategy,
  "clusterroles.rbac.authorization.k8s.io": roleStrategy,
  "rolebindings.rbac.authorization.k8s.io": roleBindingStrategy,
  "clusterrolebindings.rbac.authorization.k8s.io": roleBindingStrategy,
  "storageclasses.storage.k8s.io": storageClassStrategy,
  "priorityclasses.scheduling.k8s.io": priorityClassStrategy,
  "limitranges": limitRangeStrategy,
  "runtimeclasses.node.k8s.io": runtimeClassStrategy,
  "certificatesigningrequests.certificates.k8s.io": certificateSigningRequestStrategy,
  "customresourcedefinitions.apiextensions.k8s.io": customResourceDefinitionStrategy,
  "mutatingwebhookconfigurations.admissionregistration.k8s.io": mutatingWebhookConfigurationStrategy as Strategy,
  "validatingwebhookconfigurations.admissionregistration.k8s.io": validatingWebhookConfigurationStrategy as Strategy,
  "apiservices.apiregistration.k8s.io": apiServiceStrategy as Strategy,
};

const generic: Strategy = {};

/** The strategy of a served resource, built-in or custom. */
export function strategyFor(info: ResourceInfo): Strategy {
  if (info.crd) return customResourceStrategy(info.crd);
  return strategies[qualifiedResource(info.resource, info.group)] ?? generic;
}
