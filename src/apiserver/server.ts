/**
 * The API server: HTTPS (HTTP/2 and HTTP/1.1), authentication, routing to
 * discovery, OpenAPI and the resource handlers.
 */
import type { IncomingMessage } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";
import { KubeletProxy } from "./kubelet-proxy.js";
import { ApiProxy, isProxyRequest } from "./proxy/index.js";
import { listenAlso } from "./extra-listener.js";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo, Server as NetServer } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import type { TLSSocket } from "node:tls";
import { ApiError, internalError, isNotFound, notFound, pathNotFound } from "../api/errors.js";
import { storageErrorStatus } from "./storage-errors.js";
import { refuseUpgrade } from "../api/upgrade-refusal.js";
import { HealthChecks, Milestone, PostStartHook } from "./healthz.js";
import { boolQueryParam } from "../api/query-params.js";
import type { ResourceInfo } from "../api/resources.js";
import type { Store } from "../storage/index.js";
import { SYSTEM_PRIORITY_CLASSES } from "./admission/plugins/priority.js";
import { recommendedAdmission } from "./admission/recommended-plugins.js";
import { convertWithWebhook, type ConversionWebhookDependencies } from "./apiextensions/conversion-webhook.js";
import { MutatingAdmissionWebhook } from "./admission/plugins/mutating-admission-webhook/index.js";
import { ValidatingAdmissionWebhook } from "./admission/plugins/validating-admission-webhook/index.js";
import { EndpointServiceResolver, WebhookMetrics, type WebhookDependencies } from "./admission/plugins/webhook/index.js";
import { convertVersion } from "./registry/convert-version.js";
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { AdmissionChain } from "./admission/chain.js";
import type { AdmissionAttributes } from "./admission/admission.js";
import { podConnectOptions, type PodConnectOptions } from "./registry/core/pods/connect-options.js";
import { ServiceAllocations } from "./registry/core/services/service-allocations.js";
import { AllocationRepair } from "./registry/core/services/allocation-repair.js";
import { ServerEventRecorder } from "./server-events.js";
import { KubernetesServiceController } from "./controlplane/kubernetes-service-controller.js";
import { LeaseEndpointReconciler } from "./controlplane/lease-endpoint-reconciler.js";
import { MasterLeases } from "./controlplane/master-leases.js";
import { WatchCache } from "./registry/watch-cache.js";
import { EstablishingController } from "./apiextensions/establishing-controller.js";
import { CrdFinalizerController } from "./apiextensions/finalizer-controller.js";
import { AggregatedOpenApi, Aggregator, EXTENSION_AUTHENTICATION_CONFIGMAP, extensionAuthenticationConfigMap } from "./aggregator/index.js";
import type { APIService } from "./registry/apiregistration/apiservices/types.js";
import type { ConfigMap, Endpoints, LimitRange, Namespace, Node, Pod, ResourceQuota as ResourceQuotaObject, Secret, Service, ServiceAccount } from "kubernetes-types/core/v1.js";
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { Kube } from "../api/kube-object.js";
import type { IngressClass } from "kubernetes-types/networking/v1.js";
import type { RuntimeClass } from "kubernetes-types/node/v1.js";
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import { ResourceMetrics } from "./resource-metrics.js";
import { ResourceCatalog } from "./catalog.js";
import { SERVER_BOOTSTRAP_PATH, serveServerBootstrap, type ServerBootstrapSource } from "./server-bootstrap.js";
import {
  aggregatedDiscovery, legacyApiGroup, legacyApiGroupList, legacyApiVersions, legacyResourceList, wantsAggregated,
} from "./discovery.js";
import { decodeProtobufObject } from "./protobuf/decode.js";
import { decodeBody, readBody, sendError, sendJson, sendWarnings, wantsTable, type Request, type Response } from "./http.js";
import { COMPONENT_STATUS_WARNING, ComponentStatuses } from "./component-statuses.js";
import { ApiMetrics, requestLabels, isLongRunning } from "./metrics.js";
import { instrumentStore, storageTypes } from "./storage-metrics.js";
import { processRegistry, serveMetrics, type Registry } from "../metrics/index.js";
import { OpenApiV3 } from "./openapi.js";
import { OpenApiV2 } from "./openapi-v2/index.js";
import type { Pki } from "../pki/index.js";
import { ObjectStore, type Obj } from "./registry/object-store.js";
import { ResourceHandler } from "./resource-handler.js";
import { rfc3339 } from "../api/time.js";
import { RequestAuthenticator, type AuthenticatableRequest } from "./authentication/request-authenticator.js";
import { StaticTokenAuthenticator } from "./authentication/static-token.js";
import { impersonate, wantsImpersonation } from "./authentication/impersonation.js";
import { AUTHENTICATED_GROUP, MASTERS_GROUP, type UserInfo } from "./authentication/user-info.js";
import type { Attributes } from "./authorization/authorizer.js";
import { RbacAuthorization } from "./authorization/rbac/index.js";
import { rbacEscalationHooks } from "./registry/rbac/escalation-hooks.js";
import { forbidden } from "./authorization/forbidden.js";
import { UnionAuthorizer } from "./authorization/union-authorizer.js";
import { NodeAuthorizer, NodeGraph, followNodeGraph } from "./authorization/node/index.js";
import { ValidatingAdmissionPolicyPlugin, type PolicyDependencies } from "./admission/plugins/validating-admission-policy/index.js";
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-types/admissionregistration/v1.js";
import { formatLabelSelector } from "../api/selectors.js";
import { groupVersion } from "../api/resources.js";
import { BootstrapTokenAuthenticator } from "./authentication/bootstrap-token.js";
import { parseRequestInfo, type RequestInfo } from "./request-info.js";
import { reviewResources } from "./registry/review-resources.js";
import { ServiceAccounts } from "./service-accounts.js";
import { LEGACY_TOKEN_LAST_USED_LABEL } from "./authentication/service-account-token.js";
import { auditContextOf, auditRequestFrom, type AuditContext, type Auditor } from "./audit/index.js";

export interface ApiServerOptions {
  store: Store;
  pki: Pki;
  bindAddress?: string;
  port?: number;
  /** How often old revisions are compacted away (default 5 minutes; 0 disables). */
  compactionIntervalMs?: number;
  /** Extra bearer tokens accepted, mapped to their user. */
  tokens?: Map<string, UserInfo>;
  /** Upstream's --anonymous-auth (default true). */
  anonymousAuth?: boolean;
  /** Upstream's --service-account-issuer, --api-audiences and --service-account-max-token-expiration. */
  serviceAccounts?: { issuer?: string; apiAudiences?: string[]; maxTokenExpirationSeconds?: number };
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** --audit-policy-file with --audit-log-path: every request goes through it (see src/apiserver/audit). */
  audit?: Auditor;
  /** The `kubernetes` Service's lease reconciler: how often this server's lease is refreshed (10 s) and how long it lives (15 s). */
  kubernetesEndpoints?: { intervalMs?: number; leaseTtlMs?: number };
  /** How often the ClusterIP and NodePort allocations are repaired from the Services (upstream's 3 minutes). */
  serviceAllocationRepairIntervalMs?: number;
  /**
   * Other components' metrics served on this server's /metrics besides its
   * own and the process's (skiff server's scheduler, controller manager and
   * kubelet, which run in this process).
   */
  metricsAlso?: () => Registry[];
  /** The shared secrets a joining server asks for at /v1-skiff/server-bootstrap, and the token that opens them (skiff server). */
  serverBootstrap?: ServerBootstrapSource;
}

export type { UserInfo };

export const VERSION_INFO = {
  major: "1", minor: "32", gitVersion: "v1.32.0-skiff", gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean", buildDate: "2026-11-23T00:00:00Z", goVersion: `node${process.versions.node}`, compiler: "tsc", platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
};

export class ApiServer {
  readonly catalog = new ResourceCatalog();
  readonly objects: ObjectStore;
  /** How CRD conversion webhooks are reached: as admission webhooks are. */
  private conversionClient?: ConversionWebhookDependencies;
  private readonly kubelets: KubeletProxy;
  /** pods/proxy, services/proxy, nodes/proxy (see proxy/). */
  readonly proxy: ApiProxy;
  readonly admission: AdmissionChain;
  private readonly services: ServiceAllocations;
  private readonly allocationRepair: AllocationRepair;
  private kubernetesService?: KubernetesServiceController;
  private readonly caches: WatchCache<unknown>[] = [];
  private readonly crds: WatchCache;
  private readonly establishing: EstablishingController;
  private readonly aggregator: Aggregator;
  private readonly crdFinalizer: CrdFinalizerController;
  private readonly resourceMetrics: ResourceMetrics;
  private metricsPods?: Promise<WatchCache>;
  private readonly componentStatuses: ComponentStatuses;
  private readonly openapi: OpenApiV3;
  private readonly openapiV2: OpenApiV2;
  private readonly handler: ResourceHandler;
  private server?: Http2SecureServer;
  private readonly authenticator: RequestAuthenticator;
  readonly authorizer: UnionAuthorizer;
  private readonly rbac: RbacAuthorization;
  private readonly serviceAccounts: ServiceAccounts;
  private readonly metrics: ApiMetrics;
  /** The store as the server uses it: timed into etcd_request_duration_seconds. */
  private readonly store: Store;
  private compactor?: NodeJS.Timeout;
  private readonly sockets = new Set<TLSSocket>();
  /** Upstream's post-start hooks that readiness waits for. */
  private readonly hooks = {
    informerSync: new Milestone("informer-sync"),
    rbac: new PostStartHook("rbac/bootstrap-roles"),
    priorityClasses: new PostStartHook("scheduling/bootstrap-system-priority-classes"),
    bootstrapController: new PostStartHook("bootstrap-controller"),
  };
  private readonly health: HealthChecks;
  url = "";

  constructor(private readonly options: ApiServerOptions) {
    this.metrics = new ApiMetrics(() => this.storedObjectCounts());
    this.store = instrumentStore(options.store, this.metrics, storageTypes(() => this.catalog.all()));
    this.health = new HealthChecks([
      { name: "etcd", check: async () => { await options.store.currentRevision(); } },
      ...Object.values(this.hooks),
    ]);
    this.services = new ServiceAllocations({ store: this.store, log: options.log });
    // The chain reads caches that read the store that runs the chain: bound once all exist.
    this.objects = new ObjectStore(this.store, {
      admission: { admit: (a) => this.admission.admit(a), validate: (a) => this.admission.validate(a) },
      // The webhook client is made below (it reads Services through this store); no custom object is read before.
      convertCustomResources: (info, objects, apiVersion) => convertWithWebhook(info.crd!.conversionWebhook!, objects, apiVersion, this.conversionClient!),
      hooks: { Service: this.services, ...rbacEscalationHooks({ authorize: (a) => this.authorizer.authorize(a) }, { policyRulesFor: (u, ns) => this.rbac.authorizer.policyRulesFor(u, ns), getRoleReferenceRules: (ref, ns) => this.rbac.authorizer.getRoleReferenceRules(ref, ns) }) },
    });
    this.rbac = new RbacAuthorization({ objects: this.objects, catalog: this.catalog, log: options.log });
    const cache = <T = Obj>(group: string, version: string, resource: string) => {
      const c = new WatchCache<T>(this.objects, this.info(group, version, resource), { log: options.log });
      this.caches.push(c as WatchCache<unknown>);
      return c;
    };
    const namespaces = cache<Namespace>("", "v1", "namespaces");
    const priorityClasses = cache<PriorityClass>("scheduling.k8s.io", "v1", "priorityclasses");
    const ingressClasses = cache<IngressClass>("networking.k8s.io", "v1", "ingressclasses");
    const storageClasses = cache<StorageClass>("storage.k8s.io", "v1", "storageclasses");
    const quotaCache = cache<ResourceQuotaObject>("", "v1", "resourcequotas");
    const limitRanges = cache<LimitRange>("", "v1", "limitranges");
    const runtimeClasses = cache<RuntimeClass>("node.k8s.io", "v1", "runtimeclasses");
    const policies = cache<ValidatingAdmissionPolicy>("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies");
    const policyBindings = cache<ValidatingAdmissionPolicyBinding>("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings");
    // Service-account tokens are checked against these on every request that bears one.
    const bound = {
      serviceaccounts: cache<ServiceAccount>("", "v1", "serviceaccounts"), pods: cache<Pod>("", "v1", "pods"),
      secrets: cache<Secret>("", "v1", "secrets"), nodes: cache<Node>("", "v1", "nodes"),
    };
    this.serviceAccounts = new ServiceAccounts({
      ...options.serviceAccounts,
      key: options.pki.serviceAccountKey,
      get: (resource, ns, name) => bound[resource].getFresh(ns, name),
      onBoundObjectChange: (handler) => {
        for (const resource of Object.keys(bound) as (keyof typeof bound)[]) {
          bound[resource].onChange((type, obj) => { if (type !== "ADDED") handler(resource, obj.metadata.namespace, obj.metadata.name ?? ""); });
        }
      },
      externalAddress: () => externalAddress(this.url),
      markLegacyTokenUsed: async (secret, date) => {
        await this.objects.guaranteedUpdate(this.info("", "v1", "secrets"), secret.metadata!.namespace, secret.metadata!.name!, (cur) => {
          cur!.metadata.labels = { ...cur!.metadata.labels, [LEGACY_TOKEN_LAST_USED_LABEL]: date };
          return cur!;
        }, { fieldManager: "skiff-apiserver" });
      },
    });
    this.crds = cache("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    // Node identity: the Node authorizer's graph follows pods and PVs; NodeRestriction reads pods and nodes.
    const { pods, nodes } = bound;
    const nodeGraph = new NodeGraph();
    followNodeGraph(nodeGraph, { pods, persistentVolumes: cache("", "v1", "persistentvolumes") });
    // The catalog follows the CRDs' watch, so every server serves what any server registered.
    this.crds.onChange((type, crd) => {
      // A terminating CRD's objects stay served (not creatable) until its finalizer has deleted them, as upstream.
      if (type === "DELETED") this.catalog.removeCustomResource(crd.metadata.name ?? "");
      else this.catalog.setCustomResource(crd);
    });
    const quotas = this.info("", "v1", "resourcequotas");
    const webhooks = this.webhookDependencies(namespaces, options.log);
    this.conversionClient = { services: webhooks.services, agent: webhooks.agent };
    const mutatingWebhooks = cache<MutatingWebhookConfiguration>("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");
    const validatingWebhooks = cache<ValidatingWebhookConfiguration>("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");
    this.admission = recommendedAdmission({
      // Mutating webhooks after the built-in mutating plugins, validating ones in the validating stage (upstream's order).
      extra: {
        beforeQuota: [
          new MutatingAdmissionWebhook({ ...webhooks, configurations: () => mutatingWebhooks.list() }),
          new ValidatingAdmissionWebhook({ ...webhooks, configurations: () => validatingWebhooks.list() }),
        ],
      },
      getNamespace: (name) => namespaces.getFresh(undefined, name),
      getServiceAccount: (ns, name) => bound.serviceaccounts.getFresh(ns, name),
      listPods: async (ns) => (await this.objects.list(this.info("", "v1", "pods"), ns)).items as Pod[],
      metrics: this.metrics.registry,
      recordAuditAnnotations: (attrs, annotations) => { for (const [k, v] of Object.entries(annotations)) attrs.addAuditAnnotation?.(k, v); },
      getPriorityClass: (name) => priorityClasses.getFresh(undefined, name),
      priorityClasses: () => priorityClasses.list(),
      ingressClasses: () => ingressClasses.list(),
      storageClasses: () => storageClasses.list(),
      limitRanges: {
        cached: (ns) => limitRanges.list(ns),
        list: async (ns) => (await this.objects.list(limitRanges.info, ns)).items as LimitRange[],
      },
      getRuntimeClass: (name) => runtimeClasses.getFresh(undefined, name),
      getPod: (ns, name) => pods.getFresh(ns, name),
      getNode: (name) => nodes.getFresh(undefined, name),
      validatingAdmissionPolicy: new ValidatingAdmissionPolicyPlugin(this.policyDependencies(policies, policyBindings, namespaces)),
      authorizer: { authorize: (a) => this.authorizer.authorize(a) },
      quotas: {
        list: async (ns) => (await this.objects.list(quotas, ns)).items as ResourceQuotaObject[],
        cached: (ns) => quotaCache.list(ns),
        charge: async (quota, update) => {
          await this.objects.guaranteedUpdate(quotas, quota.metadata?.namespace, quota.metadata?.name ?? "", (stored) => {
            if (!stored) throw notFound("resourcequotas", "", quota.metadata?.name ?? "");
            const cur = stored as Kube<ResourceQuotaObject>;
            return { ...cur, status: { ...cur.status, hard: cur.status?.hard ?? cur.spec?.hard, used: update(cur.status?.used ?? {}) } };
          }, { subresource: "status", fieldManager: "resourcequota-admission" });
        },
      },
    });
    this.establishing = new EstablishingController(this.objects, this.info("apiextensions.k8s.io", "v1", "customresourcedefinitions"), this.crds, options.log);
    this.crdFinalizer = new CrdFinalizerController(this.objects, this.info("apiextensions.k8s.io", "v1", "customresourcedefinitions"), this.crds, this.catalog, options.log);
    const aggregatedOpenApi = new AggregatedOpenApi();
    this.aggregator = new Aggregator({
      openapi: aggregatedOpenApi,
      apiServices: cache<APIService>("apiregistration.k8s.io", "v1", "apiservices"), objects: this.objects,
      info: this.info("apiregistration.k8s.io", "v1", "apiservices"), catalog: this.catalog, log: options.log,
      availability: {
        getService: (ns, name) => this.objects.get(this.info("", "v1", "services"), ns, name).then((s) => s as Service, (err: unknown) => { if (isNotFound(err)) return undefined; throw err; }),
        services: webhooks.services,
        credentials: { cert: options.pki.frontProxyClientCert, key: options.pki.frontProxyClientKey },
      },
    });
    this.openapi = new OpenApiV3(this.catalog, aggregatedOpenApi);
    this.openapiV2 = new OpenApiV2(this.catalog, VERSION_INFO.gitVersion, aggregatedOpenApi);
    this.kubelets = new KubeletProxy(options.pki, (kind, ns, name) => this.objects.get(this.catalog.lookup("", "v1", kind)!, ns, name));
    this.proxy = new ApiProxy({ pki: options.pki, get: (resource, ns, name) => this.objects.get(this.info("", "v1", resource), ns, name) });
    this.resourceMetrics = new ResourceMetrics(this.kubelets, {
      nodes: async () => (await this.objects.list(this.info("", "v1", "nodes"), undefined)).items,
      pods: async (ns) => (await this.podsForMetrics()).list(ns),
    });
    this.componentStatuses = new ComponentStatuses({
      lease: (name) => (this.objects.get(this.info("coordination.k8s.io", "v1", "leases"), "kube-system", name) as Promise<Kube<Lease>>).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      }),
      storage: () => this.options.store.currentRevision(),
    });
    this.handler = new ResourceHandler(this.objects, {
      resource: (group, version, resource) => this.catalog.lookup(group, version, resource),
      kubelets: this.kubelets,
      tokenRequests: (call, addWarning) => {
        const attrs = (object: Obj) => ({ info: this.info("", "v1", "serviceaccounts"), operation: "CREATE" as const, object, namespace: call.namespace, name: call.name, subresource: "token", user: call.user!, dryRun: false, addWarning });
        return this.serviceAccounts.tokenRequest({ ...call, admission: (phase, tr) => this.admission[phase](attrs(tr as Kube<TokenRequest>)) }, addWarning);
      },
    }, (group, version, kind, bytes) => this.metrics.watchEvent(group, version, kind, bytes));
    const tokens = new Map(options.tokens ?? []);
    tokens.set(options.pki.adminToken, { username: "admin", groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] });
    // Joining nodes authenticate with bootstrap tokens (kube-system Secrets).
    const bootstrapTokens = new BootstrapTokenAuthenticator({ getSecret: (ns, name) => bound.secrets.getFresh(ns, name) });
    this.authenticator = new RequestAuthenticator({ tokens: [new StaticTokenAuthenticator(tokens), bootstrapTokens, this.serviceAccounts.authenticator], anonymous: options.anonymousAuth });
    // The Node authorizer first, as upstream's --authorization-mode=Node,RBAC.
    this.authorizer = new UnionAuthorizer([new NodeAuthorizer(nodeGraph), this.rbac.authorizer]);
    const events = new ServerEventRecorder(this.objects, this.info("", "v1", "events"), hostname(), options.log);
    this.allocationRepair = new AllocationRepair({
      allocations: this.services,
      listServices: async () => (await this.objects.list(this.info("", "v1", "services"), undefined)).items as Service[],
      recordEvent: (e) => events.record({ regarding: { ...e.service, kind: "Service" }, type: "Warning", reason: e.reason, message: e.message, action: e.action, component: e.component }),
      intervalMs: options.serviceAllocationRepairIntervalMs,
      log: options.log,
    });
  }

  /** What the webhook plugins read: namespaces for their selectors, the served versions of a resource, and Services' endpoints. */
  private webhookDependencies(namespaces: WatchCache<Namespace>, log: ApiServerOptions["log"]): WebhookDependencies {
    const orUndefined = <T>(p: Promise<T>) => p.catch((err: unknown) => { if (isNotFound(err)) return undefined; throw err; });
    return {
      getNamespace: (name) => namespaces.getFresh(undefined, name),
      equivalentResources: (info) => this.catalog.all().filter((r) => !r.aggregated && r.storagePrefix === info.storagePrefix),
      convert: convertVersion,
      metrics: new WebhookMetrics(this.metrics.registry),
      // Idle connections are unref'd by the agent: they hold neither the process nor a stopped server.
      agent: new HttpsAgent({ keepAlive: true, maxFreeSockets: 32, timeout: 60_000 }),
      services: new EndpointServiceResolver({
        getService: (ns, name) => orUndefined(this.objects.get(this.info("", "v1", "services"), ns, name)) as Promise<Service | undefined>,
        getEndpoints: (ns, name) => orUndefined(this.objects.get(this.info("", "v1", "endpoints"), ns, name)) as Promise<Endpoints | undefined>,
        listEndpointSlices: async (ns, service) => (await this.objects.list(this.info("discovery.k8s.io", "v1", "endpointslices"), ns, { labelSelector: `kubernetes.io/service-name=${service}` })).items as Kube<EndpointSlice>[],
      }),
      // Read when a condition runs: the authorizer is made after the admission chain.
      authorizer: { authorize: (a) => this.authorizer.authorize(a) },
      log,
    };
  }

  /**
   * apiserver_storage_objects: how many objects of each stored resource there
   * are, by the resource's group-qualified name; -1 where counting failed.
   */
  private async storedObjectCounts(): Promise<Map<string, number>> {
    const byPrefix = new Map<string, string>();
    for (const r of this.catalog.all()) {
      if (r.aggregated || r.group === "metrics.k8s.io" || reviewResources[`${r.group}/${r.resource}`]) continue;
      byPrefix.set(r.storagePrefix, r.group ? `${r.resource}.${r.group}` : r.resource);
    }
    const counts = new Map<string, number>();
    await Promise.all([...byPrefix].map(async ([prefix, name]) => {
      counts.set(name, await this.options.store.count(prefix + "/").catch(() => -1));
    }));
    return counts;
  }

  info(group: string, version: string, resource: string): ResourceInfo {
    const r = this.catalog.lookup(group, version, resource);
    if (!r) throw new Error(`unknown resource ${group}/${version}/${resource}`);
    return r;
  }

  /** Loads what storage holds (CRDs, allocated addresses) and creates the built-in objects. */
  private async bootstrap(): Promise<void> {
    await Promise.all(this.caches.map((c) => c.start()));
    this.hooks.informerSync.complete();
    this.establishing.start();
    this.crdFinalizer.start();
    // The bootstrap policy reconciled and the RBAC cache filled before the first request (upstream's rbac/bootstrap-roles hook).
    await this.rbac.start();
    this.hooks.rbac.complete();
    // The allocation records exist and follow the Services before anything allocates.
    await this.allocationRepair.start();
    const ns = this.info("", "v1", "namespaces");
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      await this.objects.create(ns, undefined, { metadata: { name } }, { fieldManager: "skiff-apiserver" }).catch(ignoreExists);
    }
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      await this.objects.create(this.info("scheduling.k8s.io", "v1", "priorityclasses"), undefined, {
        metadata: { name: pc.name }, value: pc.value, description: pc.description,
      }, { fieldManager: "skiff-apiserver" }).catch(ignoreExists);
    }
    this.hooks.priorityClasses.complete();
    // How extension API servers trust this server's proxied requests (upstream's client CA registration hook).
    const configMaps = this.info("", "v1", "configmaps");
    const authentication = extensionAuthenticationConfigMap(this.options.pki);
    await this.objects.guaranteedUpdate(configMaps, "kube-system", EXTENSION_AUTHENTICATION_CONFIGMAP, (cur) => ({ ...(cur ?? authentication as Kube<ConfigMap>), data: authentication.data }), { allowCreate: true, fieldManager: "skiff-apiserver" });
    this.aggregator.start();
  }

  /**
   * The `kubernetes` Service and its endpoints, from this server's master
   * lease and the other servers' (upstream's lease endpoint reconciler):
   * the address it serves on (a host address when it serves on all of
   * them) and its actual port.
   */
  private async startKubernetesService(bound: string, port: number): Promise<void> {
    const reconciler = new LeaseEndpointReconciler({
      objects: this.objects,
      leases: new MasterLeases({ store: this.store, ttlMs: this.options.kubernetesEndpoints?.leaseTtlMs }),
      endpoints: this.info("", "v1", "endpoints"),
      endpointSlices: this.info("discovery.k8s.io", "v1", "endpointslices"),
    });
    this.kubernetesService = new KubernetesServiceController({
      objects: this.objects, services: this.info("", "v1", "services"), reconciler,
      address: bound === "0.0.0.0" || bound === "::" ? advertiseAddress() : bound, port,
      intervalMs: this.options.kubernetesEndpoints?.intervalMs, log: this.options.log,
    });
    await this.kubernetesService.start();
    this.hooks.bootstrapController.complete();
  }

  async start(): Promise<void> {
    await this.bootstrap();
    const { pki } = this.options;
    this.server = createSecureServer({
      allowHTTP1: true, cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert,
      requestCert: true, rejectUnauthorized: false,
    }, (req, res) => void this.serve(req, res));
    // close() leaves HTTP/1.1 keep-alive connections open (upgrades, clients in this very process); stop() ends them.
    this.server.on("secureConnection", (socket: TLSSocket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.options.port ?? 6443, this.options.bindAddress ?? "127.0.0.1", () => resolve());
    });
    this.startCompactor();
    const addr = this.server.address() as AddressInfo;
    await this.startKubernetesService(addr.address, addr.port);
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    this.url = `https://${host}:${addr.port}`;
  }

  /**
   * Keeps one interval of history: each tick compacts to the revision seen at
   * the previous tick, as upstream's apiserver does every five minutes.
   */
  /** What ValidatingAdmissionPolicy reads: policies and bindings from their caches, params and namespaces from storage. */
  private policyDependencies(policies: WatchCache<ValidatingAdmissionPolicy>, bindings: WatchCache<ValidatingAdmissionPolicyBinding>, namespaces: WatchCache<Namespace>): PolicyDependencies {
    return {
      policies: () => policies.list(),
      bindings: () => bindings.list(),
      getNamespace: (name) => namespaces.getFresh(undefined, name),
      // Read when a policy runs: the authorizer is made after the admission chain.
      authorizer: { authorize: (a) => this.authorizer.authorize(a) },
      getParams: async (kind, namespace, name, selector) => {
        const info = this.catalog.all().find((r) => groupVersion(r) === kind.apiVersion && r.kind === kind.kind);
        if (!info) return [];
        const ns = info.namespaced ? namespace : undefined;
        if (name) return this.objects.get(info, ns, name).then((o) => [o], (err: unknown) => { if (isNotFound(err)) return []; throw err; });
        return (await this.objects.list(info, ns, { labelSelector: formatLabelSelector(selector) })).items;
      },
    };
  }

  private startCompactor(): void {
    const interval = this.options.compactionIntervalMs ?? 5 * 60_000;
    if (!interval) return;
    let previous = 0;
    this.compactor = setInterval(() => {
      void (async () => {
        const current = await this.options.store.currentRevision();
        if (previous > 0) await this.options.store.compact(previous);
        previous = current;
      })().catch((err) => this.options.log?.("compaction failed", { err: String(err) }));
    }, interval);
    this.compactor.unref();
  }

  private readonly extraListeners: NetServer[] = [];

  /**
   * Serves also on address and names it in the `kubernetes` Service's
   * endpoints (upstream's advertise address), with a serving certificate that
   * names it: the node's pod-network gateway, known only once the node's
   * bridge is up, so that pods reach a server on loopback at 10.96.0.1.
   */
  async advertise(address: string, serving?: { cert: string; key: string }): Promise<void> {
    if (serving) this.server!.setSecureContext({ cert: serving.cert, key: serving.key, ca: this.options.pki.caCert });
    const addr = this.server!.address() as AddressInfo;
    if (!["0.0.0.0", "::", address].includes(addr.address)) this.extraListeners.push(await listenAlso(this.server!, address, addr.port));
    await this.kubernetesService?.setAddress(address);
  }

  /**
   * The pods that metrics.k8s.io names, kept in memory from its first request on, as metrics-server keeps
   * an informer: the HPA controller asks once per autoscaler per sync period, and a thousand autoscalers
   * must not each decode every pod of their namespace from the store. Clusters that never ask keep no copy.
   */
  private podsForMetrics(): Promise<WatchCache> {
    if (!this.metricsPods) {
      const cache = new WatchCache(this.objects, this.info("", "v1", "pods"), { log: this.options.log });
      this.caches.push(cache as WatchCache<unknown>);
      const started = cache.start().then(() => cache);
      // A first list that failed is tried again by the next request.
      started.catch(() => { if (this.metricsPods === started) { cache.stop(); this.metricsPods = undefined; } });
      this.metricsPods = started;
    }
    return this.metricsPods;
  }

  async stop(): Promise<void> {
    this.health.beginShutdown();
    // Out of the kubernetes Service's endpoints first, while this server still answers, as upstream.
    await this.kubernetesService?.stop();
    await this.allocationRepair.stop();
    for (const l of this.extraListeners.splice(0)) l.close();
    clearInterval(this.compactor);
    for (const c of this.caches) c.stop();
    this.rbac.stop();
    this.aggregator.stop();
    this.crdFinalizer.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Open watches would hold close() forever.
      const s = server as unknown as { closeAllConnections?: () => void };
      s.closeAllConnections?.();
      setTimeout(resolve, 2000).unref();
    });
    for (const socket of this.sockets) socket.destroy();
  }

  /**
   * The front of the chain, shared by plain and upgrade requests: request
   * info from the normalised path, authentication, impersonation,
   * authorization. Throws 400, 401 or 403.
   */
  private async admitRequest(req: Request | IncomingMessage, method: string, url: URL, res?: Response): Promise<{ info: RequestInfo; user: UserInfo }> {
    const socket = ((req as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket ?? req.socket) as TLSSocket | undefined;
    let authenticated: UserInfo | undefined;
    try {
      authenticated = await this.authenticator.authenticate({ headers: req.headers, socket } as AuthenticatableRequest);
    } finally {
      // The audit event begins once the request is authenticated (or failed to be), then follows the response.
      if (res) this.options.audit?.begin(auditRequestFrom(req, authenticated)).observe(res, req);
    }
    const audit = auditContextOf(req);
    // The raw path, not url.pathname: WHATWG URL parsing resolves `..` and `%2e%2e` segments, and they must be refused, not followed.
    const rawPath = (req.url ?? "/").split("?")[0]!.split("#")[0]!;
    const info = parseRequestInfo(method, rawPath, url.searchParams);
    const user = wantsImpersonation(req.headers) ? impersonate(req.headers, authenticated, this.authorizer) : authenticated;
    if (user !== authenticated) audit?.impersonated(user);
    this.authorize(requestAttributes(info, user), audit);
    // Exec, attach and port-forward by WebSocket are GETs that start processes: upstream asks for create as well.
    if (info.resource === "pods" && info.verb === "get" && ["exec", "attach", "portforward"].includes(info.subresource)) {
      this.authorize({ ...requestAttributes(info, user), verb: "create" });
    }
    return { info, user };
  }

  /**
   * Exec, attach and port-forward pass the admission chain as upstream's
   * CONNECT: the options decoded from the query are the object, so a
   * webhook or policy may refuse them (what they would change is not used).
   */
  private async admitConnect(info: RequestInfo, user: UserInfo, subresource: ConnectSubresource, query: URLSearchParams): Promise<void> {
    const attrs: AdmissionAttributes = {
      // The options are the object, without metadata as upstream's: no plugin that sees CONNECT reads metadata.
      info: this.info("", "v1", "pods"), operation: "CONNECT", object: podConnectOptions(subresource, query) as Kube<PodConnectOptions>,
      namespace: info.namespace, name: info.name, subresource, user, dryRun: false,
      // An upgraded connection has no response headers to carry warnings in.
      addWarning: () => undefined,
    };
    await this.admission.admit(attrs);
    await this.admission.validate(attrs);
  }

  private authorize(attrs: Attributes, audit?: AuditContext): void {
    const r = this.authorizer.authorize(attrs);
    audit?.annotate("authorization.k8s.io/decision", r.decision === "Allow" ? "allow" : "forbid");
    if (r.reason) audit?.annotate("authorization.k8s.io/reason", r.reason);
    if (r.decision !== "Allow") throw forbidden(attrs, r.reason);
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "https://skiff");
    let info: RequestInfo;
    try {
      let user: UserInfo;
      ({ info, user } = await this.admitRequest(req, req.method ?? "GET", url));
      if (info.apiGroup === "" && info.resource === "pods" && info.parts.length === 3 && isConnectSubresource(info.subresource)) {
        await this.admitConnect(info, user, info.subresource, url.searchParams);
      }
    } catch (err) {
      const e = err instanceof ApiError ? err : internalError(err);
      refuseUpgrade(socket, e.code, JSON.stringify(e.toStatus()), "application/json");
      return;
    }
    if (isProxyRequest(info)) return this.proxy.upgrade(req, socket, head, info);
    const streaming = info.apiGroup === "" && info.resource === "pods" && info.namespace && info.name && ["exec", "attach", "portforward", "log"].includes(info.subresource);
    if (streaming && info.parts.length === 3) {
      this.kubelets.upgrade(info.subresource as "exec" | "attach" | "portforward" | "log", req, socket, head, info.namespace, info.name, url.searchParams);
      return;
    }
    refuseUpgrade(socket, 400, JSON.stringify(new ApiError(400, "BadRequest", `this path cannot be upgraded: ${req.url}`).toStatus()), "application/json");
  }

  private async serve(req: Request, res: Response): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "https://skiff");
    let info: RequestInfo | undefined;
    const endMetrics = this.beginMetrics(req, url);
    try {
      // The CA, for agents to check against their join token before trusting this server (as k3s's /cacerts): public.
      if (url.pathname === "/cacerts") {
        res.writeHead(200, { "content-type": "application/x-pem-file" });
        res.end(this.options.pki.caCert);
        return;
      }
      if (url.pathname === SERVER_BOOTSTRAP_PATH) {
        serveServerBootstrap(req.method ?? "GET", req.headers.authorization, res, this.options.serverBootstrap);
        return;
      }
      const admitted = await this.admitRequest(req, req.method ?? "GET", url, res);
      info = admitted.info;
      await this.route(req, res, info, url.searchParams, admitted.user);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : storageErrorStatus(err) ?? internalError(err);
      if (!(err instanceof ApiError)) this.options.log?.("request failed", { method: req.method, url: req.url, err: String((err as Error)?.stack ?? err) });
      sendError(res, apiErr);
    } finally {
      // A watch or stream goes on after its handler returns: it is counted when it closes.
      if (endMetrics.longRunning && !res.writableEnded) res.once("close", () => endMetrics.end(res.statusCode));
      else endMetrics.end(res.statusCode);
      if (process.env.SKIFF_LOG_REQUESTS) this.options.log?.("request", { method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started });
    }
  }

  /**
   * The request's metrics, begun before authentication so that refusals are
   * counted too, with labels from the request info (parsed again, cheaply,
   * by admitRequest); a path that cannot be parsed is counted without labels.
   */
  private beginMetrics(req: Request, url: URL): { longRunning: boolean; end: (code: number) => void } {
    const method = req.method ?? "GET";
    let info: RequestInfo;
    try {
      info = parseRequestInfo(method, (req.url ?? "/").split("?")[0]!.split("#")[0]!, url.searchParams);
    } catch {
      return { longRunning: false, end: (code) => this.metrics.unparsed(method, code) };
    }
    const served = info.isResourceRequest ? this.catalog.lookup(info.apiGroup, info.apiVersion, info.resource) : undefined;
    const labels = requestLabels(info, method, req.headers["content-type"], url.searchParams, served);
    return { longRunning: isLongRunning(labels), end: this.metrics.begin(info, labels) };
  }

  private async route(req: Request, res: Response, ri: RequestInfo, query: URLSearchParams, user: UserInfo): Promise<void> {
    // A group-version an APIService gives to an extension API server is theirs, discovery included.
    const remote = ri.apiPrefix === "apis" && ri.apiVersion ? this.aggregator.remoteFor(ri.apiGroup, ri.apiVersion) : undefined;
    if (remote) return this.aggregator.serve(req, res, remote, user);
    if (!ri.isResourceRequest) return this.nonResource(req, res, ri, query);
    if (isProxyRequest(ri)) return this.proxy.serve(req, res, ri);
    const info = this.catalog.lookup(ri.apiGroup, ri.apiVersion, ri.resource);
    if (!info) throw pathNotFound();
    // A namespace's own path names it as the request's namespace (upstream's RequestInfo); anything else in a namespace must be namespaced.
    const ownNamespace = info.group === "" && info.resource === "namespaces";
    const namespace = ownNamespace ? undefined : ri.namespace || undefined;
    if (namespace !== undefined && !info.namespaced) throw pathNotFound();
    const [, name, subresource, ...extra] = ri.parts;
    if (extra.length) throw pathNotFound();
    if (boolQueryParam(query, "watch") || ri.verb === "watch") query.set("watch", "true");
    const review = reviewResources[`${info.group}/${info.resource}`];
    if (review) {
      if (req.method !== "POST" || name) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      // A review has no object metadata to print: a client that accepts only a Table gets 406, as upstream.
      if (acceptsOnlyTables(req.headers.accept)) throw new ApiError(406, "NotAcceptable", "the server was unable to respond with a content type that the client supports");
      const body = await this.readReviewBody(req);
      const answer = await review(body, { user, namespace: ri.namespace, authorizer: this.authorizer, rules: this.authorizer, authenticateToken: (t, auds) => this.authenticator.authenticateToken(t, auds) });
      return sendJson(res, 201, answer);
    }
    if (info.group === "" && info.resource === "componentstatuses") {
      if (req.method !== "GET" || boolQueryParam(query, "watch")) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      sendWarnings(res, [COMPONENT_STATUS_WARNING]);
      if (wantsTable(req.headers.accept)) return sendJson(res, 200, await this.componentStatuses.table(name, query.get("includeObject") ?? "Metadata"));
      return sendJson(res, 200, await this.componentStatuses.get(name));
    }
    if (info.group === "metrics.k8s.io") {
      if (req.method !== "GET" || boolQueryParam(query, "watch")) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      return sendJson(res, 200, await this.resourceMetrics.get(info.resource as "nodes" | "pods", namespace, name, query));
    }
    const deprecated = info.crd?.deprecationWarning;
    if (deprecated) sendWarnings(res, [deprecated]);
    await this.handler.handle(req, res, { info, namespace, name, subresource, query, user, warnings: deprecated ? [deprecated] : undefined });
  }

  /** Discovery, OpenAPI, health, version and metrics. */
  private async nonResource(req: Request, res: Response, ri: RequestInfo, query: URLSearchParams): Promise<void> {
    const path = ri.path;
    const accept = req.headers.accept;
    if (this.health.handles(path)) return this.health.serve(req.method ?? "GET", path, query, res);
    if (path === "/version") {
      // A go-restful route upstream: its service error handler answers a wrong method with a Status.
      if (req.method !== "GET" && req.method !== "HEAD") throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      return sendJson(res, 200, VERSION_INFO);
    }
    if (await this.serviceAccounts.openid.serve(req.method, path, res)) return;
    if (path === "/metrics") return serveMetrics(res, [processRegistry(), this.metrics.registry, ...(this.options.metricsAlso?.() ?? [])]);
    if (path === "/api" || path === "/apis") {
      const aggregated = wantsAggregated(accept);
      if (aggregated) return sendJson(res, 200, aggregatedDiscovery(this.catalog, path === "/api", aggregated), aggregated);
      return sendJson(res, 200, path === "/api" ? legacyApiVersions(req.headers.host ?? "127.0.0.1:6443") : legacyApiGroupList(this.catalog));
    }
    if (path === "/openapi/v2") {
      const answer = this.openapiV2.respond(accept, req.headers["if-none-match"] as string | undefined);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    if (path === "/openapi/v3") return sendJson(res, 200, this.openapi.root());
    if (path.startsWith("/openapi/v3/")) {
      const doc = this.openapi.byPath(path.slice("/openapi/v3/".length));
      if (!doc) throw pathNotFound();
      res.writeHead(200, { "content-type": "application/json", etag: `"${doc.hash}"`, ...(query.get("hash") === doc.hash ? { "cache-control": "public, immutable", expires: new Date(Date.now() + 365 * 86400_000).toUTCString() } : {}) });
      res.end(doc.body);
      return;
    }
    if (ri.apiPrefix === "apis" && ri.apiGroup && !ri.apiVersion) {
      const g = legacyApiGroup(this.catalog, ri.apiGroup);
      if (!g) throw pathNotFound();
      return sendJson(res, 200, g);
    }
    if (ri.apiPrefix && ri.apiVersion) {
      const list = legacyResourceList(this.catalog, ri.apiGroup, ri.apiVersion);
      if (!list) throw pathNotFound();
      return sendJson(res, 200, list);
    }
    throw pathNotFound();
  }

  private async readReviewBody(req: Request): Promise<{ [field: string]: unknown }> {
    const raw = await readBody(req);
    const type = String(req.headers["content-type"] ?? "");
    if (type.startsWith("application/vnd.kubernetes.protobuf")) return decodeProtobufObject(raw);
    if (!raw.length) return {};
    const body = decodeBody(raw, "application/json");
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "BadRequest", "the body of the request was not a JSON object");
    return body as { [field: string]: unknown };
  }
}

/** Whether every media type the client accepts is a Table (so nothing else may answer). */
function acceptsOnlyTables(accept: string | undefined): boolean {
  const types = String(accept ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  return types.length > 0 && types.every((t) => wantsTable(t));
}

/** The authorization attributes of a request. */
function requestAttributes(info: RequestInfo, user: UserInfo): Attributes {
  return {
    user, verb: info.verb, resourceRequest: info.isResourceRequest, path: info.path, apiGroup: info.apiGroup, apiVersion: info.apiVersion,
    resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name,
  };
}

function ignoreExists(err: unknown): void {
  if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
}

/** host:port clients reach a server at, from the URL it listens on (upstream's ExternalAddress). */
function externalAddress(url: string): string {
  const u = new URL(url);
  return u.hostname === "0.0.0.0" || u.hostname === "[::]" ? `${advertiseAddress()}:${u.port}` : u.host;
}

/** The host's first non-loopback IPv4 address, for a server bound to all of them. */
function advertiseAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

type ConnectSubresource = "exec" | "attach" | "portforward";
const isConnectSubresource = (s: string): s is ConnectSubresource => s === "exec" || s === "attach" || s === "portforward";
