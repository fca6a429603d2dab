/**
 * The controller manager: one shared informer factory, the controllers that
 * use it, started once the caches are filled.
 */
import { EventRecorder, InformerFactory, type Client } from "../client/index.js";
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

export interface ControllerOptions {
  nodeMonitorGracePeriodMs?: number;
  /** Where the local-path provisioner keeps volumes; without it, no provisioner runs. */
  localStorageDir?: string;
  /** Signs with the cluster CA; given where the CA key is (skiff server), the CSR approver and signer run. */
  signer?: Signer;
}

export function defaultControllers(options: ControllerOptions = {}): Controller[] {
  return [new NodeIpamController(), new NodeLifecycleController({ gracePeriodMs: options.nodeMonitorGracePeriodMs }), new PodGCController(), new NamespaceController(), new ServiceAccountController(), new GarbageCollector(), new ReplicaSetController(), new ReplicaSetController(replicationControllerKind), new DeploymentController(), new JobController(), new CronJobController(), new EndpointsController(), new StatefulSetController(), new DaemonSetController(), new DisruptionController(), new ResourceQuotaController(),
    ...(options.localStorageDir ? [new LocalPathProvisioner(options.localStorageDir)] : []),
    ...(options.signer ? [new CsrApprover(), new CsrSigner(options.signer)] : [])];
}

export class ControllerManager {
  private readonly controllers: Controller[];
  private readonly informers: InformerFactory;
  private done?: Promise<void>;
  /** Resolves when every cache has synced and the controllers run. */
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: { controllers?: Controller[]; log?: ControllerContext["log"] } & ControllerOptions = {}) {
    this.controllers = options.controllers ?? defaultControllers(options);
    this.informers = new InformerFactory(client);
  }

  start(signal: AbortSignal): void {
    const log = this.options.log ?? (() => undefined);
    const ctx: ControllerContext = { client: this.client, informers: this.informers, recorder: new EventRecorder(this.client, "controller-manager"), log };
    for (const c of this.controllers) c.init(ctx);
    this.informers.start(signal);
    this.ready = this.informers.waitForCacheSync();
    this.done = this.ready.then(() => Promise.all(this.controllers.map((c) => c.run(signal)))).then(() => undefined);
  }

  async stopped(): Promise<void> {
    await this.done;
  }
}
