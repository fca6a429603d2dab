/**
 * The root CA certificate publisher (upstream's root-ca-cert-publisher): every
 * active namespace has a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the
 * cluster CA, which the kube-api-access volume of every pod projects next to
 * its token, so that clients in pods can verify the API server. A ConfigMap
 * that someone changed or deleted is put back.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Obj, keyOf, runQueue } from "../controller.js";

export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
const DESCRIPTION = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

export class RootCaCertPublisher implements Controller {
  readonly name = "root-ca-cert-publisher";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private namespaces!: Informer<Obj>;
  private configMaps!: Informer<Obj>;

  /** caCert: the PEM bundle to publish. */
  constructor(private readonly caCert: string) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.namespaces = ctx.informers.informer<Obj>(Resources.namespaces);
    this.configMaps = ctx.informers.informer<Obj>(Resources.configmaps);
    this.namespaces.addEventHandler({ add: (n) => this.queue.add(keyOf(n)), update: (_o, n) => this.queue.add(keyOf(n)) });
    const mine = (cm: Obj) => { if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(String(cm.metadata.namespace)); };
    this.configMaps.addEventHandler({ update: (_o, cm) => mine(cm), delete: mine });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, this.name);
  }

  private async sync(ns: string): Promise<void> {
    const n = this.namespaces.get(ns);
    if (!n || n.metadata.deletionTimestamp || n.status?.phase === "Terminating") return;
    const cm = this.configMaps.get(`${ns}/${ROOT_CA_CONFIGMAP}`);
    const ignore = (err: unknown) => { const c = (err as { code?: number }).code; if (c !== 409 && c !== 403 && c !== 404) throw err; };
    if (!cm) {
      await this.ctx.client.create(Resources.configmaps, ns, {
        metadata: { name: ROOT_CA_CONFIGMAP, annotations: { "kubernetes.io/description": DESCRIPTION } }, data: { "ca.crt": this.caCert },
      } as Obj).catch(ignore);
      return;
    }
    if (cm.data?.["ca.crt"] === this.caCert && Object.keys(cm.data ?? {}).length === 1 && cm.metadata.annotations?.["kubernetes.io/description"] === DESCRIPTION) return;
    await this.ctx.client.update(Resources.configmaps, ns, {
      ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata.annotations, "kubernetes.io/description": DESCRIPTION } }, data: { "ca.crt": this.caCert },
    } as Obj).catch(ignore);
  }
}
