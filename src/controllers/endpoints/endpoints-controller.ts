/**
 * The Endpoints and EndpointSlice controllers in one: for every Service with
 * a selector, the addresses of its pods (ready ones apart from the others),
 * with the Service's target ports resolved, written as an Endpoints object
 * and as an EndpointSlice labelled with the Service's name.
 */
import { matchesLabels, labelSelectorRequirements } from "../../api/selectors.js";
import { jsonEqual } from "../../api/json-equal.js";
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Json, type Obj, controllerRef, isPodReady, keyOf, splitKey, runQueue } from "../controller.js";

const MANAGED_BY = "endpointslice-controller.k8s.io";

export class EndpointsController implements Controller {
  readonly name = "endpoints";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private services!: Informer<Obj>;
  private pods!: Informer<Obj>;
  private endpoints!: Informer<Obj>;
  private slices!: Informer<Obj>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.services = ctx.informers.informer<Obj>(Resources.services);
    this.pods = ctx.informers.informer<Obj>(Resources.pods);
    this.endpoints = ctx.informers.informer<Obj>(Resources.endpoints);
    this.slices = ctx.informers.informer<Obj>(Resources.endpointslices);
    this.services.addEventHandler({ add: (s) => this.queue.add(keyOf(s)), update: (_o, s) => this.queue.add(keyOf(s)), delete: (s) => this.queue.add(keyOf(s)) });
    const touch = (p: Obj) => {
      for (const s of this.services.list(p.metadata.namespace)) {
        const sel = s.spec?.selector;
        if (sel && Object.keys(sel).length && matchesLabels(labelSelectorRequirements({ matchLabels: sel }), p.metadata.labels)) this.queue.add(keyOf(s));
      }
    };
    this.pods.addEventHandler({ add: touch, update: (o, p) => { touch(o); touch(p); }, delete: touch });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 4, (key) => this.sync(key), this.ctx, "endpoints");
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const svc = this.services.get(key);
    const selector = svc?.spec?.selector;
    if (!svc || !selector || !Object.keys(selector).length) return; // Endpoints of selector-less Services belong to their users
    const reqs = labelSelectorRequirements({ matchLabels: selector });
    const pods = this.pods.list(ns).filter((p) => matchesLabels(reqs, p.metadata.labels) && p.status?.podIP
      && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const publishNotReady = Boolean(svc.spec.publishNotReadyAddresses);
    const ports = (svc.spec.ports ?? []).map((sp: Json) => ({ name: sp.name, protocol: sp.protocol ?? "TCP", port: resolvePort(sp, pods), appProtocol: sp.appProtocol }))
      .filter((p: Json) => p.port !== undefined).map((p: Json) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)));
    const address = (p: Obj) => ({ ip: p.status.podIP, nodeName: p.spec?.nodeName, targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name, uid: p.metadata.uid } });
    const ready = pods.filter((p) => !p.metadata.deletionTimestamp && (publishNotReady || isPodReady(p)));
    const notReady = pods.filter((p) => !ready.includes(p));
    const subsets = pods.length ? [{
      ...(ready.length ? { addresses: ready.map(address) } : {}),
      ...(notReady.length ? { notReadyAddresses: notReady.map(address) } : {}),
      ports: ports.map((p: Json) => ({ name: p.name, port: p.port, protocol: p.protocol })).map((p: Json) => (p.name ? p : { port: p.port, protocol: p.protocol })),
    }] : [];
    await this.writeEndpoints(svc, ns!, name, subsets);
    await this.writeSlice(svc, ns!, name, pods, ready, ports);
  }

  private async writeEndpoints(svc: Obj, ns: string, name: string, subsets: Json[]): Promise<void> {
    const current = this.endpoints.get(`${ns}/${name}`);
    const labels = { ...(svc.metadata.labels ?? {}), "endpoints.kubernetes.io/managed-by": "endpoint-controller" };
    if (current && jsonEqual(current.subsets ?? [], subsets)) return;
    const body = { metadata: { name, namespace: ns, labels }, subsets };
    if (current) await this.ctx.client.update(Resources.endpoints, ns, { ...current, ...body, metadata: { ...current.metadata, labels } });
    else await this.ctx.client.create(Resources.endpoints, ns, body).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
  }

  private async writeSlice(svc: Obj, ns: string, name: string, pods: Obj[], ready: Obj[], ports: Json[]): Promise<void> {
    const endpoints = pods.map((p) => ({
      addresses: [p.status.podIP],
      // A pod that names this Service as its subdomain is found by its hostname in DNS.
      ...(p.spec?.hostname && p.spec?.subdomain === name ? { hostname: p.spec.hostname } : {}),
      conditions: { ready: ready.includes(p), serving: isPodReady(p), terminating: Boolean(p.metadata.deletionTimestamp) },
      nodeName: p.spec?.nodeName,
      targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
    }));
    const mine = this.slices.list(ns, `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}`);
    const [slice, ...extra] = mine;
    for (const e of extra) await this.ctx.client.delete(Resources.endpointslices, ns, e.metadata.name!).catch(() => undefined);
    // An unnamed port has the name "" in a slice, as upstream writes it (kubectl describe dereferences it).
    const desired = { addressType: "IPv4", endpoints, ports: ports.map((p) => ({ name: "", ...p })) };
    if (slice && jsonEqual({ addressType: slice.addressType, endpoints: slice.endpoints ?? [], ports: slice.ports ?? [] }, desired)) return;
    const metadata = {
      labels: { ...(svc.metadata.labels ?? {}), "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": MANAGED_BY },
      ownerReferences: [controllerRef(svc, "v1", "Service")],
    };
    if (slice) await this.ctx.client.update(Resources.endpointslices, ns, { ...slice, ...desired, metadata: { ...slice.metadata, ...metadata } });
    else await this.ctx.client.create(Resources.endpointslices, ns, { metadata: { generateName: `${name}-`, ...metadata }, ...desired });
  }
}

/** A Service port's targetPort as a number: given, or the named container port of the pods. */
function resolvePort(sp: Json, pods: Obj[]): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  for (const p of pods) for (const c of p.spec?.containers ?? []) for (const cp of c.ports ?? []) if (cp.name === target) return cp.containerPort;
  return undefined;
}
