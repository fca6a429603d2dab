/**
 * The admission plugins the server runs, in upstream's order
 * (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins); the webhook and
 * policy stages go just before ResourceQuota, which stays last so that only
 * an object every other step accepted is charged.
 */
import type { Namespace, Node, Pod, ServiceAccount } from "kubernetes-types/core/v1.js";
import type { IngressClass } from "kubernetes-types/networking/v1.js";
import type { RuntimeClass as RuntimeClassObject } from "kubernetes-types/node/v1.js";
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { AdmissionPlugin } from "./admission.js";
import { AdmissionChain } from "./chain.js";
import { DefaultIngressClass } from "./plugins/default-ingress-class.js";
import { DefaultStorageClass } from "./plugins/default-storage-class.js";
import { DefaultTolerationSeconds } from "./plugins/default-toleration-seconds.js";
import { NamespaceLifecycle } from "./plugins/namespace-lifecycle.js";
import { Priority } from "./plugins/priority.js";
import { PodSecurity, PodSecurityMetrics } from "./plugins/pod-security/index.js";
import { AdmissionMetrics } from "./metrics.js";
import type { Registry } from "../../metrics/index.js";
import { ResourceQuota, type QuotaStore } from "./plugins/resource-quota.js";
import { NodeRestriction } from "./plugins/node-restriction.js";
import { CertificateApproval } from "./plugins/certificate-approval.js";
import { CertificateSigning } from "./plugins/certificate-signing.js";
import { CertificateSubjectRestriction } from "./plugins/certificate-subject-restriction.js";
import type { Authorizer } from "../authorization/authorizer.js";
import { ServiceAccountAdmission } from "./plugins/service-account.js";
import { LimitRanger, type LimitRangeLister } from "./plugins/limit-ranger.js";
import { TaintNodesByCondition } from "./plugins/taint-nodes-by-condition.js";
import { StorageObjectInUseProtection } from "./plugins/storage-object-in-use-protection.js";
import { RuntimeClass } from "./plugins/runtime-class.js";

/** What the plugins read: caches that follow watches, with storage behind them. */
export interface AdmissionDependencies {
  getNamespace(name: string): Promise<Namespace | undefined>;
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  listPods(namespace: string): Promise<Pod[]>;
  getPriorityClass(name: string): Promise<PriorityClass | undefined>;
  priorityClasses(): PriorityClass[];
  ingressClasses(): IngressClass[];
  storageClasses(): StorageClass[];
  /** LimitRanger's: the cached LimitRanges of a namespace, and storage's. */
  limitRanges: LimitRangeLister;
  /** The RuntimeClass of that name, the cache's or storage's. */
  getRuntimeClass(name: string): Promise<RuntimeClassObject | undefined>;
  quotas: QuotaStore;
  /** NodeRestriction's reads. */
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  getNode(name: string): Promise<Node | undefined>;
  /** The server's authorizer, for CertificateApproval and CertificateSigning. */
  authorizer: Authorizer;
  /**
   * ValidatingAdmissionPolicy, when the server serves policies. Its place
   * is before the plugins of `extra` (the webhooks): validators run in chain
   * order after every mutation, and upstream checks policies before
   * validating webhooks.
   */
  validatingAdmissionPolicy?: AdmissionPlugin;
  /** Plugins other components add at their place in the order (webhooks, policies). */
  extra?: { beforeQuota?: AdmissionPlugin[] };
  /** Where plugins' audit annotations go (the audit log). */
  recordAuditAnnotations?: (attrs: import("./admission.js").AdmissionAttributes, annotations: Record<string, string>) => void;
  /** Where the chain's latencies (apiserver_admission_*) and PodSecurity's counters go; none when unset. */
  metrics?: Registry;
}

export function recommendedAdmission(deps: AdmissionDependencies): AdmissionChain {
  return new AdmissionChain([
    new NamespaceLifecycle({ getNamespace: deps.getNamespace }),
    new LimitRanger(deps.limitRanges),
    new ServiceAccountAdmission({ getServiceAccount: deps.getServiceAccount }),
    new NodeRestriction({ getPod: deps.getPod, getNode: deps.getNode }),
    new TaintNodesByCondition(),
    new PodSecurity({ getNamespace: deps.getNamespace, listPods: deps.listPods, recordAuditAnnotations: deps.recordAuditAnnotations, metrics: deps.metrics && new PodSecurityMetrics(deps.metrics) }),
    new Priority({ getClass: deps.getPriorityClass, classes: deps.priorityClasses }),
    new DefaultTolerationSeconds(),
    new DefaultStorageClass({ storageClasses: deps.storageClasses }),
    new StorageObjectInUseProtection(),
    new RuntimeClass({ getRuntimeClass: deps.getRuntimeClass }),
    new CertificateApproval({ authorizer: deps.authorizer }),
    new CertificateSigning({ authorizer: deps.authorizer }),
    new CertificateSubjectRestriction(),
    new DefaultIngressClass({ ingressClasses: deps.ingressClasses }),
    ...(deps.validatingAdmissionPolicy ? [deps.validatingAdmissionPolicy] : []),
    ...(deps.extra?.beforeQuota ?? []),
    new ResourceQuota(deps.quotas),
  ], deps.metrics && new AdmissionMetrics(deps.metrics));
}
