/**
 * The Endpoints and EndpointSlice controllers in one: for every Service with
 * a selector, the addresses of its pods (ready ones apart from the others),
 * with the Service's target ports resolved, written as an Endpoints object
 * and as EndpointSlices of at most 100 endpoints labelled with the Service's name.
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
    const mine = this.slices.list(ns, `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}`)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    // An unnamed port has the name "" in a slice, as upstream writes it (kubectl describe dereferences it).
    const slicePorts = ports.map((p) => ({ name: "", ...p }));
    const metadata = {
      labels: { ...(svc.metadata.labels ?? {}), "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": MANAGED_BY },
      ownerReferences: [controllerRef(svc, "v1", "Service")],
    };
    const plan = packSlices(mine, endpoints);
    // An empty slice stays only when it is the Service's one slice.
    const keepEmpty = plan.every((p) => !p.endpoints.length) ? plan[0]!.slice : undefined;
    for (const { slice, endpoints: members } of plan) {
      const desired = { addressType: "IPv4", endpoints: members, ports: slicePorts };
      if (slice && !members.length && slice !== keepEmpty) {
        await this.ctx.client.delete(Resources.endpointslices, ns, slice.metadata.name!).catch(() => undefined);
        continue;
      }
      if (slice && jsonEqual({ addressType: slice.addressType, endpoints: slice.endpoints ?? [], ports: slice.ports ?? [] }, desired)) continue;
      if (slice) await this.ctx.client.update(Resources.endpointslices, ns, { ...slice, ...desired, metadata: { ...slice.metadata, ...metadata } });
      else await this.ctx.client.create(Resources.endpointslices, ns, { metadata: { generateName: `${name}-`, ...metadata }, ...desired });
    }
  }
}

/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * Spreads endpoints over slices of at most 100, as upstream's reconciler
 * does: an endpoint stays in the slice that holds it, new ones fill the
 * slices with room, then new slices. The caller deletes the slices left empty
 * but one when all are (a Service without endpoints keeps its slice).
 */
export function packSlices<S extends Json>(existing: S[], endpoints: Json[]): { slice?: S; endpoints: Json[] }[] {
  const idOf = (e: Json) => String(e.targetRef?.uid ?? e.addresses?.[0]);
  const wanted = new Map(endpoints.map((e) => [idOf(e), e]));
  const placed = new Set<string>();
  const plan: { slice?: S; endpoints: Json[] }[] = existing.map((slice) => {
    const kept: Json[] = [];
    for (const e of slice.endpoints ?? []) {
      const id = idOf(e);
      const now = wanted.get(id);
      if (now && !placed.has(id) && kept.length < MAX_ENDPOINTS_PER_SLICE) { kept.push(now); placed.add(id); }
    }
    return { slice, endpoints: kept };
  });
  const rest = endpoints.filter((e) => !placed.has(idOf(e)));
  for (const p of plan) while (p.endpoints.length < MAX_ENDPOINTS_PER_SLICE && rest.length) p.endpoints.push(rest.shift()!);
  while (rest.length) plan.push({ endpoints: rest.splice(0, MAX_ENDPOINTS_PER_SLICE) });
  if (!plan.length) plan.push({ endpoints: [] });
  return plan;
}

/** A Service port's targetPort as a number: given, or the named container port of the pods. */
function resolvePort(sp: Json, pods: Obj[]): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  for (const p of pods) for (const c of p.spec?.containers ?? []) for (const cp of c.ports ?? []) if (cp.name === target) return cp.containerPort;
  return undefined;
}
