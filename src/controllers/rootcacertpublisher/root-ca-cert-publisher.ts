/**
 * The root CA publisher (upstream's root-ca-cert-publisher): every active
 * namespace holds the ConfigMap kube-root-ca.crt with the cluster CA, which
 * the kube-api-access volume of every pod projects as ca.crt. A deleted or
 * edited ConfigMap is put back; a namespace being deleted is left alone.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { isApiError } from "../../api/errors.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";
import type { ConfigMap, Namespace } from "kubernetes-types/core/v1.js";

export const ROOT_CA_CONFIGMAP_NAME = "kube-root-ca.crt";
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
export const DESCRIPTION = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. "
  + "No other usage is guaranteed across distributions of Kubernetes clusters.";

/**
 * What to write so the namespace's ConfigMap says what it should: a new one,
 * the existing one with its data and description restored (its other
 * annotations and labels kept), or nothing when it is right.
 */
export function rootCaConfigMapChange(existing: Kube<ConfigMap> | undefined, caPem: string): { create: Kube<ConfigMap> } | { update: Kube<ConfigMap> } | undefined {
  const data = { "ca.crt": caPem };
  if (!existing) {
    return { create: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: ROOT_CA_CONFIGMAP_NAME, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data } };
  }
  const current = existing.data ?? {};
  const sameData = Object.keys(current).length === 1 && current["ca.crt"] === caPem && !existing.binaryData;
  if (sameData && existing.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return undefined;
  const updated = structuredClone(existing);
  updated.data = data;
  delete updated.binaryData;
  updated.metadata.annotations = { ...updated.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION };
  return { update: updated };
}

export class RootCaCertPublisher implements Controller {
  readonly name = "root-ca-cert-publisher";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private namespaces!: Informer<Kube<Namespace>>;
  private configMaps!: Informer<Kube<ConfigMap>>;

  /** caPem: the cluster CA, as upstream's --root-ca-file. */
  constructor(private readonly caPem: string) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.namespaces = ctx.informers.informer<Kube<Namespace>>(Resources.namespaces);
    this.configMaps = ctx.informers.informer<Kube<ConfigMap>>(Resources.configmaps);
    this.namespaces.addEventHandler({
      add: (ns) => this.queue.add(ns.metadata.name!),
      update: (_old, ns) => { if ((ns.status?.phase ?? "Active") === "Active") this.queue.add(ns.metadata.name!); },
    });
    const ours = (cm: Kube<ConfigMap>) => { if (cm.metadata.name === ROOT_CA_CONFIGMAP_NAME) this.queue.add(cm.metadata.namespace!); };
    this.configMaps.addEventHandler({ update: (_old, cm) => ours(cm), delete: ours });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (ns) => this.sync(ns), this.ctx, "root-ca-cert-publisher");
  }

  private async sync(ns: string): Promise<void> {
    const namespace = this.namespaces.get(ns);
    if (!namespace || namespace.metadata.deletionTimestamp || (namespace.status?.phase ?? "Active") !== "Active") return;
    const change = rootCaConfigMapChange(this.configMaps.get(`${ns}/${ROOT_CA_CONFIGMAP_NAME}`), this.caPem);
    if (!change) return;
    try {
      if ("create" in change) await this.ctx.client.create(Resources.configmaps, ns, change.create);
      else await this.ctx.client.update(Resources.configmaps, ns, change.update);
    } catch (err) {
      // A namespace gone or terminating needs no CA; anything else (a create or update that lost a race) is retried.
      if (isApiError(err, "NotFound") || (isApiError(err, "Forbidden") && /being terminated/.test(err.message))) return;
      throw new Error(`sync ${ROOT_CA_CONFIGMAP_NAME} in namespace ${ns}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
