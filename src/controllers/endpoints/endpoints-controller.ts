/**
 * The Endpoints and EndpointSlice controllers in one: for every Service with
 * a selector, the addresses of its pods (ready ones apart from the others),
 * with the Service's target ports resolved, written as an Endpoints object
 * and as EndpointSlices of at most 100 endpoints labelled with the Service's name.
 */
import { matchesLabels, labelSelectorRequirements } from "../../api/selectors.js";
import { jsonEqual } from "../../api/json-equal.js";
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, controllerRef, isPodReady, keyOf, splitKey, runQueue } from "../controller.js";
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from "kubernetes-types/core/v1.js";
import type { Endpoint, EndpointSlice, EndpointPort as SlicePort } from "kubernetes-types/discovery/v1.js";
import { rfc3339Nano } from "../../api/time.js";
import { ENDPOINTS_LAST_CHANGE_TRIGGER_TIME, TriggerTimeTracker } from "./trigger-time-tracker.js";

/** A port by the fields that tell one apart, in an Endpoints subset or an EndpointSlice. */
type PortId = Pick<EndpointPort, "name" | "protocol" | "appProtocol"> & { port?: number };

const MANAGED_BY = "endpointslice-controller.k8s.io";

export class EndpointsController implements Controller {
  readonly name = "endpoints";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private services!: Informer<Kube<Service>>;
  private pods!: Informer<Kube<Pod>>;
  private endpoints!: Informer<Kube<Endpoints>>;
  private slices!: Informer<Kube<EndpointSlice>>;
  /** One for both outputs: upstream's two controllers each keep one, fed the same Service and pods. */
  private readonly triggerTimes = new TriggerTimeTracker();

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.services = ctx.informers.informer<Kube<Service>>(Resources.services);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.endpoints = ctx.informers.informer<Kube<Endpoints>>(Resources.endpoints);
    this.slices = ctx.informers.informer<Kube<EndpointSlice>>(Resources.endpointslices);
    this.services.addEventHandler({ add: (s) => this.queue.add(keyOf(s)), update: (_o, s) => this.queue.add(keyOf(s)), delete: (s) => this.queue.add(keyOf(s)) });
    const touch = (p: Kube<Pod>) => {
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
    const spec = svc?.spec;
    const selector = spec?.selector;
    if (!svc) this.triggerTimes.deleteService(ns!, name!);
    if (!svc || !spec || !selector || !Object.keys(selector).length) return; // Endpoints of selector-less Services belong to their users
    const reqs = labelSelectorRequirements({ matchLabels: selector });
    const selected = this.pods.list(ns).filter((p) => matchesLabels(reqs, p.metadata.labels));
    // Every sync, also one that writes nothing: the tracker records what it saw.
    const triggerTime = this.triggerTimes.compute(svc, selected);
    const pods = selected.filter((p) => p.status?.podIP && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const publishNotReady = Boolean(spec.publishNotReadyAddresses);
    const ready = pods.filter((p) => !p.metadata.deletionTimestamp && (publishNotReady || isPodReady(p)));
    // Each pod serves the Service's ports at its own numbers (a named targetPort is resolved in each pod).
    const portsOf = new Map(pods.map((p) => [p, podPorts(svc, p)]));
    await this.writeEndpoints(svc, ns!, name, endpointSubsets(ns!, pods, ready, portsOf, (spec.ports ?? []).length > 0), triggerTime);
    await this.writeSlices(svc, ns!, name, pods, ready, portsOf, triggerTime);
  }

  private async writeEndpoints(svc: Kube<Service>, ns: string, name: string, subsets: EndpointSubset[], triggerTime: number | undefined): Promise<void> {
    const current = this.endpoints.get(`${ns}/${name}`);
    const labels = { ...(svc.metadata.labels ?? {}), "endpoints.kubernetes.io/managed-by": "endpoint-controller" };
    if (current && jsonEqual(current.subsets ?? [], subsets)) return;
    const annotations = withTriggerTime(current?.metadata.annotations, triggerTime);
    const body = { metadata: { name, namespace: ns, labels, annotations }, subsets };
    if (current) await this.ctx.client.update(Resources.endpoints, ns, { ...current, ...body, metadata: { ...current.metadata, labels, annotations } });
    else await this.ctx.client.create(Resources.endpoints, ns, body).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
  }

  /**
   * One set of slices per set of ports, as upstream's reconciler: pods that
   * serve the Service at the same numbers share slices, others get their own.
   * A slice holding another port set than any pod's now goes.
   */
  private async writeSlices(svc: Kube<Service>, ns: string, name: string, pods: Kube<Pod>[], ready: Kube<Pod>[], portsOf: Map<Kube<Pod>, EndpointPort[]>, triggerTime: number | undefined): Promise<void> {
    const groups = new Map<string, { ports: SlicePort[]; endpoints: Endpoint[] }>();
    for (const p of pods) {
      // An unnamed port has the name "" in a slice, as upstream writes it (kubectl describe dereferences it).
      const ports = portsOf.get(p)!.map((port) => ({ name: "", ...port }));
      const key = portsKey(ports);
      const group = groups.get(key) ?? { ports, endpoints: [] };
      group.endpoints.push({
        addresses: [podIP(p)],
        // A pod that names this Service as its subdomain is found by its hostname in DNS.
        ...(p.spec?.hostname && p.spec?.subdomain === name ? { hostname: p.spec.hostname } : {}),
        conditions: { ready: ready.includes(p), serving: isPodReady(p), terminating: Boolean(p.metadata.deletionTimestamp) },
        nodeName: p.spec?.nodeName,
        targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
      });
      groups.set(key, group);
    }
    // A Service without endpoints keeps one slice, with the ports that need no pod to resolve.
    if (!groups.size) {
      const ports = (svc.spec?.ports ?? []).map((sp) => servicePort(sp, numericTarget(sp))).filter((p): p is EndpointPort => p !== undefined).map((p) => ({ name: "", ...p }));
      groups.set(portsKey(ports), { ports, endpoints: [] });
    }
    const mine = this.slices.list(ns, `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}`)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const metadata = {
      labels: { ...(svc.metadata.labels ?? {}), "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": MANAGED_BY },
      ownerReferences: [controllerRef(svc, "v1", "Service")],
    };
    const noEndpoints = pods.length === 0;
    const used = new Set<Kube<EndpointSlice>>();
    for (const [key, group] of groups) {
      const existing = mine.filter((s) => !used.has(s) && portsKey(s.ports ?? []) === key);
      for (const s of existing) used.add(s);
      const plan = packSlices(existing, group.endpoints);
      // An empty slice stays only when it is the Service's one slice.
      const keepEmpty = noEndpoints ? plan[0]!.slice : undefined;
      for (const { slice, endpoints: members } of plan) {
        const desired = { addressType: "IPv4", endpoints: members, ports: group.ports };
        if (slice && !members.length && slice !== keepEmpty) {
          await this.ctx.client.delete(Resources.endpointslices, ns, slice.metadata.name!).catch(() => undefined);
          continue;
        }
        if (slice && jsonEqual({ addressType: slice.addressType, endpoints: slice.endpoints ?? [], ports: slice.ports ?? [] }, desired)) continue;
        // As upstream's reconciler, only the slices it creates or updates carry this sync's trigger time.
        const annotations = withTriggerTime(slice?.metadata.annotations, triggerTime);
        if (slice) await this.ctx.client.update(Resources.endpointslices, ns, { ...slice, ...desired, metadata: { ...slice.metadata, ...metadata, annotations } });
        else await this.ctx.client.create(Resources.endpointslices, ns, { metadata: { generateName: `${name}-`, ...metadata, annotations }, ...desired });
      }
    }
    for (const s of mine) if (!used.has(s)) await this.ctx.client.delete(Resources.endpointslices, ns, s.metadata.name!).catch(() => undefined);
  }
}

/** The annotations with this sync's trigger time, or without one when nothing new triggered it (as upstream clears it). */
function withTriggerTime(annotations: Record<string, string> | undefined, triggerTime: number | undefined): Record<string, string> | undefined {
  const out = { ...(annotations ?? {}) };
  if (triggerTime === undefined) delete out[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME];
  else out[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
  return Object.keys(out).length ? out : undefined;
}

/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * Spreads endpoints over slices of at most 100, as upstream's reconciler
 * does: an endpoint stays in the slice that holds it, new ones fill the
 * slices with room, then new slices. The caller deletes the slices left empty
 * but one when all are (a Service without endpoints keeps its slice).
 */
export function packSlices<S extends { endpoints?: Endpoint[] }>(existing: S[], endpoints: Endpoint[]): { slice?: S; endpoints: Endpoint[] }[] {
  const idOf = (e: Endpoint) => String(e.targetRef?.uid ?? e.addresses?.[0]);
  const wanted = new Map(endpoints.map((e) => [idOf(e), e]));
  const placed = new Set<string>();
  const plan: { slice?: S; endpoints: Endpoint[] }[] = existing.map((slice) => {
    const kept: Endpoint[] = [];
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

/** The address of a pod the controller lists: only pods with one are. */
const podIP = (p: Pod) => p.status!.podIP!;

const portsKey = (ports: PortId[]) => JSON.stringify(ports.map((p) => [p.name ?? "", p.port, p.protocol ?? "TCP", p.appProtocol ?? ""]).sort());

/** A targetPort that is a number (or unset: the port itself), else undefined. */
function numericTarget(sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target || sp.port;
  return /^\d+$/.test(String(target)) ? Number(target) : undefined;
}

function servicePort(sp: ServicePort, port: number | undefined): EndpointPort | undefined {
  if (port === undefined) return undefined;
  const out: EndpointPort = { name: sp.name, port, protocol: sp.protocol ?? "TCP", appProtocol: sp.appProtocol };
  for (const k of Object.keys(out) as (keyof EndpointPort)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * The Service's ports as one pod serves them (upstream's FindPort): a
 * numeric targetPort as it is, a named one the pod's container port of that
 * name and protocol; a port the pod does not have is left out.
 */
export function podPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    let port = numericTarget(sp);
    if (port === undefined) {
      const protocol = sp.protocol ?? "TCP";
      for (const c of pod.spec?.containers ?? []) {
        const cp = (c.ports ?? []).find((x) => x.name === sp.targetPort && (x.protocol ?? "TCP") === protocol);
        if (cp) { port = cp.containerPort; break; }
      }
    }
    const resolved = servicePort(sp, port);
    if (resolved) out.push(resolved);
  }
  return out;
}

/**
 * Endpoints subsets as upstream's RepackSubsets leaves them: addresses that
 * serve the same ports share a subset; ready ones in addresses, the others in
 * notReadyAddresses. A pod that serves none of a Service's ports is not listed
 * (unless the Service has no ports at all, a headless one).
 */
export function endpointSubsets(ns: string, pods: Kube<Pod>[], ready: Kube<Pod>[], portsOf: Map<Kube<Pod>, EndpointPort[]>, servicePorts: boolean): EndpointSubset[] {
  const address = (p: Kube<Pod>): EndpointAddress => ({ ip: podIP(p), nodeName: p.spec?.nodeName, targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name, uid: p.metadata.uid } });
  const subsets = new Map<string, { ready: EndpointAddress[]; notReady: EndpointAddress[]; ports: EndpointPort[] }>();
  for (const p of pods) {
    const ports = portsOf.get(p)!.map(({ name, port, protocol, appProtocol }) => ({ ...(name ? { name } : {}), port, protocol, ...(appProtocol ? { appProtocol } : {}) }));
    if (servicePorts && !ports.length) continue;
    const key = portsKey(ports);
    const subset = subsets.get(key) ?? { ready: [], notReady: [], ports };
    (ready.includes(p) ? subset.ready : subset.notReady).push(address(p));
    subsets.set(key, subset);
  }
  return [...subsets.values()].map((s) => ({
    ...(s.ready.length ? { addresses: s.ready } : {}),
    ...(s.notReady.length ? { notReadyAddresses: s.notReady } : {}),
    ...(s.ports.length ? { ports: s.ports } : {}),
  }));
}
