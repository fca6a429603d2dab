/**
 * The controller manager: one shared informer factory, the controllers that
 * use it, started once the caches are filled.
 */
import { EventRecorder, InformerFactory, type Client, type WorkQueueMetrics } from "../client/index.js";
import type { Controller, ControllerContext } from "./controller.js";
import { CronJobController } from "./cronjob/cronjob-controller.js";
import { DaemonSetController } from "./daemonset/daemonset-controller.js";
import { DisruptionController } from "./disruption/disruption-controller.js";
import { DeploymentController } from "./deployment/deployment-controller.js";
import { EndpointsController } from "./endpoints/endpoints-controller.js";
import { GarbageCollector } from "./garbagecollector/garbage-collector.js";
import { JobController } from "./job/job-controller.js";
import { NamespaceController } from "./namespace/namespace-controller.js";
import { NodeIpamController } from "./nodeipam/node-ipam-controller.js";
import { NodeLifecycleController } from "./nodelifecycle/node-lifecycle-controller.js";
import { PodGCController } from "./podgc/pod-gc-controller.js";
import { ReplicaSetController, replicationControllerKind } from "./replicaset/replicaset-controller.js";
import { ResourceQuotaController } from "./resourcequota/resourcequota-controller.js";
import { StatefulSetController } from "./statefulset/statefulset-controller.js";
import { LocalPathProvisioner } from "./volume/local-path-provisioner.js";
import { ServiceAccountController } from "./serviceaccount/serviceaccount-controller.js";
import { CsrApprover } from "./certificates/csr-approver.js";
import { CsrSigner, type Signer } from "./certificates/csr-signer.js";
import { TokenCleaner } from "./bootstrap/token-cleaner.js";
import { RootCaCertPublisher } from "./rootcacertpublisher/root-ca-cert-publisher.js";
import { TokensController } from "./serviceaccount/tokens-controller.js";
import type { ServiceAccountKey } from "../pki/index.js";
import { ClusterRoleAggregationController } from "./clusterroleaggregation/clusterrole-aggregation-controller.js";
import { PvcProtectionController } from "./pvcprotection/pvc-protection-controller.js";
import { PvProtectionController } from "./pvprotection/pv-protection-controller.js";
import { HorizontalController, type HorizontalControllerOptions } from "./podautoscaler/horizontal-controller.js";
import { ValidatingAdmissionPolicyStatusController } from "./validatingadmissionpolicystatus/validatingadmissionpolicy-status-controller.js";

/**
 * The service account each controller acts as, named as upstream's (its
 * system:controller:<name> role is written for that account).
 */
export const CONTROLLER_SERVICE_ACCOUNTS: Record<string, string> = {
  csrsigning: "certificate-controller", csrapproving: "certificate-controller", resourcequota: "resourcequota-controller",
  daemonset: "daemon-set-controller", garbagecollector: "generic-garbage-collector", job: "job-controller",
  serviceaccount: "service-account-controller", podgc: "pod-garbage-collector", nodelifecycle: "node-controller",
  nodeipam: "node-controller", cronjob: "cronjob-controller", namespace: "namespace-controller", disruption: "disruption-controller",
  statefulset: "statefulset-controller", deployment: "deployment-controller", endpoints: "endpoint-controller",
  replicaset: "replicaset-controller", replicationcontroller: "replication-controller",
  "local-path-provisioner": "local-path-provisioner", "clusterrole-aggregation": "clusterrole-aggregation-controller",
  "root-ca-cert-publisher": "root-ca-cert-publisher", tokencleaner: "token-cleaner",
  "pvc-protection": "pvc-protection-controller", "pv-protection": "pv-protection-controller",
  horizontalpodautoscaling: "horizontal-pod-autoscaler",
  "validatingadmissionpolicy-status-controller": "validatingadmissionpolicy-status-controller",
  // Upstream's tokens controller writes token Secrets with the manager's own identity (its role allows just that).
  "serviceaccount-token": "",
};

/**
 * The names upstream's controllers give their work queues (the `name` of
 * workqueue_* series), where they differ from the controller's own name.
 */
export const WORKQUEUE_NAMES: Record<string, string> = {
  replicationcontroller: "replicationmanager", endpoints: "endpoint", garbagecollector: "garbage_collector_attempt_to_delete",
  resourcequota: "resourcequota_primary", tokencleaner: "token_cleaner", "clusterrole-aggregation": "ClusterRoleAggregator",
  "pvc-protection": "pvcprotection", "pv-protection": "pvprotection", "root-ca-cert-publisher": "root_ca_cert_publisher",
  csrsigning: "certificate", nodelifecycle: "node_lifecycle_controller", "serviceaccount-token": "token_secret_addition",
  horizontalpodautoscaling: "horizontalpodautoscaler", "validatingadmissionpolicy-status-controller": "validatingadmissionpolicy-status",
};

export interface ControllerOptions {
  nodeMonitorGracePeriodMs?: number;
  /** Where the local-path provisioner keeps volumes; without it, no provisioner runs. */
  localStorageDir?: string;
  /** Signs with the cluster CA; given where the CA key is (skiff server), the CSR approver and signer run. */
  signer?: Signer;
  /** The cluster CA (PEM); given, the root-ca-cert-publisher puts it into every namespace as ConfigMap kube-root-ca.crt. */
  rootCaPem?: string;
  /** The service-account signing key; given, the tokens controller fills kubernetes.io/service-account-token Secrets. */
  serviceAccountKey?: ServiceAccountKey;
  /** The --horizontal-pod-autoscaler-* flags. */
  horizontalPodAutoscaler?: HorizontalControllerOptions;
}

export function defaultControllers(options: ControllerOptions = {}): Controller[] {
  return [new NodeIpamController(), new NodeLifecycleController({ gracePeriodMs: options.nodeMonitorGracePeriodMs }), new PodGCController(), new NamespaceController(), new ServiceAccountController(), new GarbageCollector(), new ReplicaSetController(), new ReplicaSetController(replicationControllerKind), new DeploymentController(), new JobController(), new CronJobController(), new EndpointsController(), new StatefulSetController(), new DaemonSetController(), new DisruptionController(), new ResourceQuotaController(), new TokenCleaner(), new ClusterRoleAggregationController(), new PvcProtectionController(), new PvProtectionController(),
    new HorizontalController(options.horizontalPodAutoscaler), new ValidatingAdmissionPolicyStatusController(),
    ...(options.localStorageDir ? [new LocalPathProvisioner(options.localStorageDir)] : []),
    ...(options.signer ? [new CsrApprover(), new CsrSigner(options.signer)] : []),
    ...(options.rootCaPem ? [new RootCaCertPublisher(options.rootCaPem)] : []),
    ...(options.serviceAccountKey ? [new TokensController(options.serviceAccountKey, options.rootCaPem)] : [])];
}

export class ControllerManager {
  private readonly controllers: Controller[];
  private readonly informers: InformerFactory;
  private done?: Promise<void>;
  /** Resolves when every cache has synced and the controllers run. */
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: {
    controllers?: Controller[];
    log?: ControllerContext["log"];
    /** Each controller's client (its service account's credentials); without it every controller uses the manager's client. */
    clientFor?: (serviceAccount: string) => Promise<Client>;
    /** Where the controllers' work queues report (workqueue_*); made once per process, as the manager is made again on each election. */
    workqueueMetrics?: WorkQueueMetrics;
  } & ControllerOptions = {}) {
    this.controllers = options.controllers ?? defaultControllers(options);
    this.informers = new InformerFactory(client);
  }

  start(signal: AbortSignal): void {
    const log = this.options.log ?? (() => undefined);
    this.ready = (async () => {
      const clientFor = this.options.clientFor;
      const clients = await Promise.all(this.controllers.map((c) => clientFor && CONTROLLER_SERVICE_ACCOUNTS[c.name] !== "" ? clientFor(CONTROLLER_SERVICE_ACCOUNTS[c.name] ?? `${c.name}-controller`) : this.client));
      this.controllers.forEach((c, i) => {
        const client = clients[i]!;
        const metrics = this.options.workqueueMetrics;
        const queueMetrics = metrics ? () => metrics.forQueue(WORKQUEUE_NAMES[c.name] ?? c.name) : undefined;
        c.init({ client, informers: this.informers, recorder: new EventRecorder(client, "controller-manager"), log, queueMetrics });
      });
      this.informers.start(signal);
      await this.informers.waitForCacheSync();
    })();
    this.done = this.ready.then(() => Promise.all(this.controllers.map((c) => c.run(signal)))).then(() => undefined);
  }

  async stopped(): Promise<void> {
    await this.done;
  }
}
