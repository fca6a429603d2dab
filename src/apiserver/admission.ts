/**
 * The server's built-in admission: namespace lifecycle, Service address
 * allocation, the default IngressClass, pod priority, resource quotas, CustomResourceDefinition
 * registration and custom resource schema validation with pruning.
 */
import { ApiError, invalid, notFound, type FieldError } from "../api/errors.js";
import type { ResourceInfo } from "../api/resources.js";
import { cidrRange, ipToNumber, numberToIp, RangeAllocator } from "./registry/allocator.js";
import type { Admission, Obj, WriteOptions } from "./registry/object-store.js";
import type { ResourceCatalog } from "./catalog.js";
import { validateAndPrune } from "./structural-schema.js";
import type { PriorityAdmission } from "./priority-admission.js";
import type { QuotaAdmission } from "./quota-admission.js";

export interface NamespaceLookup {
  (name: string): Promise<Obj | undefined>;
}

export class ServerAdmission implements Admission {
  readonly clusterIPs: RangeAllocator;
  readonly nodePorts = new RangeAllocator(30000, 32767, "nodePort");
  /** Set by the server once storage is open; CRD writes register resources through it. */
  onCrdStored?: (crd: Obj) => void;
  /** Set by the server: orphaning needs every resource of the catalog. */
  orphanDependents?: (owner: Obj) => Promise<boolean>;
  /** Set by the server: the IngressClasses, for the DefaultIngressClass plugin. */
  ingressClasses?: () => Promise<Obj[]>;
  /** Set by the server: the Priority plugin, over the PriorityClasses. */
  priority?: PriorityAdmission;
  /** Set by the server: ResourceQuota enforcement. */
  quota?: QuotaAdmission;

  constructor(
    private readonly catalog: ResourceCatalog,
    private readonly namespace: NamespaceLookup,
    serviceCidr = "10.96.0.0/16",
  ) {
    const r = cidrRange(serviceCidr);
    this.clusterIPs = new RangeAllocator(r.first, r.last, "clusterIP");
  }

  /** Marks the addresses and ports of a stored Service as taken (used at start-up). */
  recordService(svc: Obj): void {
    const ip = ipToNumber(svc.spec?.clusterIP ?? "");
    if (ip !== undefined) this.clusterIPs.take(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.nodePorts.take(p.nodePort);
  }

  async admit(info: ResourceInfo, obj: Obj, old: Obj | undefined, opts: WriteOptions): Promise<void> {
    if (info.namespaced && !old) await this.checkNamespace(obj.metadata.namespace);
    if (info.crd) this.validateCustom(info, obj);
    if (info.kind === "Service" && info.group === "" && opts.subresource !== "status") this.allocateService(obj, old, Boolean(opts.dryRun));
    if (info.kind === "Ingress" && info.group === "networking.k8s.io" && !old) await this.defaultIngressClass(obj);
    if (info.kind === "Pod" && info.group === "" && !opts.subresource) await this.priority?.admitPod(obj, old);
    if (info.kind === "PriorityClass" && info.group === "scheduling.k8s.io") await this.priority?.admitClass(obj, old);
    if (info.kind === "CertificateSigningRequest" && info.group === "certificates.k8s.io" && !old) recordRequester(obj, opts);
        // Last: only an object every other step accepted is charged to its quotas.
    if (info.namespaced && !old && !opts.subresource) await this.quota?.admit(info, obj, Boolean(opts.dryRun));
  }

  /**
   * As upstream's DefaultIngressClass plugin: a new Ingress that names no
   * class (nor the legacy annotation) gets the default IngressClass, the
   * newest if several are marked.
   */
  private async defaultIngressClass(ing: Obj): Promise<void> {
    if (ing.spec?.ingressClassName || ing.metadata.annotations?.["kubernetes.io/ingress.class"] || !this.ingressClasses) return;
    const defaults = (await this.ingressClasses()).filter((c) => c.metadata.annotations?.["ingressclass.kubernetes.io/is-default-class"] === "true")
      .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
    if (defaults[0]) (ing.spec ??= {}).ingressClassName = defaults[0].metadata.name;
  }

  private async checkNamespace(name: string): Promise<void> {
    const ns = await this.namespace(name);
    if (!ns) throw notFound("namespaces", "", name);
    if (ns.metadata.deletionTimestamp || ns.status?.phase === "Terminating") {
      throw new ApiError(403, "Forbidden", `unable to create new content in namespace ${name} because it is being terminated`, { name, kind: "namespaces" });
    }
  }

  private validateCustom(info: ResourceInfo, obj: Obj): void {
    const crd = info.crd!;
    if (!crd.schema) return;
    const errs: FieldError[] = validateAndPrune(obj, crd.schema as Obj, crd.preserveUnknownFields);
    if (errs.length) throw invalid(info.kind, info.group, obj.metadata?.name ?? "", errs);
  }

  private allocateService(svc: Obj, old: Obj | undefined, dryRun: boolean): void {
    const spec = svc.spec;
    const errs: FieldError[] = [];
    const taken: (() => void)[] = [];
    const rollback = () => taken.forEach((undo) => undo());
    if (spec.type === "ExternalName") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else if (old?.spec?.clusterIP && old.spec.type !== "ExternalName") {
      spec.clusterIP ??= old.spec.clusterIP;
      spec.clusterIPs ??= old.spec.clusterIPs;
    } else if (spec.clusterIP === "None") {
      spec.clusterIPs = ["None"];
    } else if (spec.clusterIP) {
      const n = ipToNumber(spec.clusterIP);
      if (n === undefined || !this.clusterIPs.inRange(n)) {
        errs.push({ type: "FieldValueInvalid", field: "spec.clusterIPs", value: [spec.clusterIP], detail: "failed to allocate IP " + spec.clusterIP + ": the provided IP (" + spec.clusterIP + ") is not in the valid range. The range of valid IPs is 10.96.0.0/16" });
      } else if (!dryRun && !this.clusterIPs.take(n)) {
        errs.push({ type: "FieldValueInvalid", field: "spec.clusterIPs", value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
      } else if (!dryRun) {
        taken.push(() => this.clusterIPs.release(n));
      }
      spec.clusterIPs = [spec.clusterIP];
    } else {
      const n = dryRun ? undefined : this.clusterIPs.allocate();
      if (!dryRun && n === undefined) throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
      if (n !== undefined) taken.push(() => this.clusterIPs.release(n));
      spec.clusterIP = n === undefined ? "10.96.0.0" : numberToIp(n);
      spec.clusterIPs = [spec.clusterIP];
    }
    if (spec.type !== "ExternalName") {
      spec.ipFamilies ??= ["IPv4"];
      spec.ipFamilyPolicy ??= "SingleStack";
    }
    const wantsNodePorts = spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
    const oldPorts = new Map<string, number>();
    for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol}`, p.nodePort);
    for (const [i, p] of (spec.ports ?? []).entries()) {
      if (!wantsNodePorts) { delete p.nodePort; continue; }
      const previous = oldPorts.get(`${p.port}/${p.protocol}`);
      if (p.nodePort === undefined && previous !== undefined) p.nodePort = previous;
      if (p.nodePort !== undefined && p.nodePort === previous) continue;
      if (p.nodePort !== undefined) {
        if (!dryRun && !this.nodePorts.take(p.nodePort)) {
          errs.push({ type: "FieldValueInvalid", field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: "provided port is already allocated" });
        } else if (!dryRun) {
          const port = p.nodePort;
          taken.push(() => this.nodePorts.release(port));
        }
      } else if (!dryRun) {
        const port = this.nodePorts.allocate();
        if (port === undefined) { rollback(); throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full"); }
        taken.push(() => this.nodePorts.release(port));
        p.nodePort = port;
      }
    }
    if (errs.length) {
      rollback();
      throw invalid("Service", "", svc.metadata.name, errs);
    }
  }

  stored(info: ResourceInfo, obj: Obj, old: Obj | undefined): void {
    if (info.kind === "CustomResourceDefinition" && info.group === "apiextensions.k8s.io") this.onCrdStored?.(obj);
    if (info.kind === "PriorityClass" && info.group === "scheduling.k8s.io") this.priority?.stored(obj);
    if (info.kind === "ResourceQuota" && info.group === "") this.quota?.stored(obj);
    if (info.kind === "Service" && info.group === "" && old) {
      // Ports or the address given up by an update go back to the pool.
      const kept = new Set((obj.spec?.ports ?? []).map((p: Obj) => p.nodePort));
      for (const p of old.spec?.ports ?? []) if (p.nodePort && !kept.has(p.nodePort)) this.nodePorts.release(p.nodePort);
      if (old.spec?.clusterIP && obj.spec?.clusterIP !== old.spec.clusterIP) this.releaseIP(old.spec.clusterIP);
    }
  }

  deleted(info: ResourceInfo, obj: Obj): void {
    if (info.kind === "Service" && info.group === "") {
      this.releaseIP(obj.spec?.clusterIP);
      for (const p of obj.spec?.ports ?? []) if (p.nodePort) this.nodePorts.release(p.nodePort);
    }
    if (info.kind === "CustomResourceDefinition" && info.group === "apiextensions.k8s.io") this.catalog.removeCustomResource(obj.metadata.name);
    if (info.kind === "PriorityClass" && info.group === "scheduling.k8s.io") this.priority?.deleted(obj);
    if (info.kind === "ResourceQuota" && info.group === "") this.quota?.deleted(obj);
  }

  private releaseIP(ip: string | undefined): void {
    const n = ipToNumber(ip ?? "");
    if (n !== undefined) this.clusterIPs.release(n);
  }
}

/** A new CertificateSigningRequest records who asked (spec.username, groups, uid), as upstream's strategy does; clients cannot choose. */
function recordRequester(csr: Obj, opts: WriteOptions): void {
  csr.spec ??= {};
  csr.spec.username = opts.user?.username ?? "";
  csr.spec.groups = opts.user?.groups ?? [];
  delete csr.spec.uid;
  delete csr.status;
}
