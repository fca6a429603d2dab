/**
 * Upstream's v1.32 bootstrap RBAC policy as data (plugin/pkg/auth/authorizer/
 * rbac/bootstrappolicy: policy.go, controller_policy.go, namespace_policy.go
 * and the testdata that lists every object), plus the roles of Skiff's own
 * components, named `skiff:...` as k3s names its own. Roles of controllers
 * that v1.32 runs only behind alpha or off-by-default feature gates are left out.
 *
 * Every object carries upstream's label and autoupdate annotation, which tell
 * the reconciler it may add to them at each start.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "kubernetes-types/rbac/v1.js";
import { KUBELET_CLIENT_USER, NODE_COMPONENT_USERS } from "../../../pki/index.js";

export const BOOTSTRAPPING_LABEL = "kubernetes.io/bootstrapping";
export const BOOTSTRAPPING_VALUE = "rbac-defaults";
export const AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";
const RBAC_GROUP = "rbac.authorization.k8s.io";

/**
 * The user the server's own add-on controllers act as (the kube-dns Service
 * and its endpoints, ServiceLB, the ingress controller), as k3s runs its
 * helpers as system:k3s-controller. Only the server holds it: a joined node's
 * components have their own identities (NODE_COMPONENT_USERS).
 */
export const SKIFF_CONTROLLER_USER = "system:skiff-controller";

/** The kube-dns Service's one EndpointSlice, which the server keeps (src/dns/kube-dns-service.ts). */
const KUBE_DNS_SLICE = "kube-dns-skiff";

const CORE = "";
const list = (s: string) => (s ? s.split(" ") : []);

/** A resource rule: verbs and resources space-separated; one group or several. */
function rule(verbs: string, groups: string | string[], resources: string, names?: string): PolicyRule {
  const r: PolicyRule = { apiGroups: Array.isArray(groups) ? groups : [groups], resources: list(resources), verbs: list(verbs) };
  if (names) r.resourceNames = list(names);
  return r;
}

function urls(verbs: string, paths: string): PolicyRule {
  return { nonResourceURLs: list(paths), verbs: list(verbs) };
}

const READ = "get list watch";
const READ_WRITE = "get list watch create update patch delete deletecollection";
const eventsRule = () => rule("create patch update", [CORE, "events.k8s.io"], "events");

function metadata(name: string, extraLabels: Record<string, string> = {}, namespace?: string) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [BOOTSTRAPPING_LABEL]: BOOTSTRAPPING_VALUE, ...extraLabels },
    annotations: { [AUTOUPDATE_ANNOTATION]: "true" },
  };
}

function clusterRole(name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: "ClusterRole", metadata: metadata(name, labels), rules };
}

function aggregatedClusterRole(name: string, aggregateFrom: string, labels?: Record<string, string>): ClusterRole {
  return {
    apiVersion: `${RBAC_GROUP}/v1`, kind: "ClusterRole", metadata: metadata(name, labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${RBAC_GROUP}/aggregate-to-${aggregateFrom}`]: "true" } }] },
    rules: [],
  };
}

const user = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: "User", name });
const group = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: "Group", name });
const serviceAccount = (namespace: string, name: string): Subject => ({ kind: "ServiceAccount", name, namespace });

function clusterRoleBinding(name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: "ClusterRoleBinding", metadata: metadata(name), roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: roleName }, subjects };
}

function role(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: "Role", metadata: metadata(name, {}, namespace), rules };
}

function roleBinding(namespace: string, name: string, roleName: string, subjects: Subject[]): RoleBinding {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: "RoleBinding", metadata: metadata(name, {}, namespace), roleRef: { apiGroup: RBAC_GROUP, kind: "Role", name: roleName }, subjects };
}

const aggregateTo = (role: string) => ({ [`${RBAC_GROUP}/aggregate-to-${role}`]: "true" });
const SIGNERS = "kubernetes.io/kube-apiserver-client kubernetes.io/kube-apiserver-client-kubelet kubernetes.io/kubelet-serving kubernetes.io/legacy-unknown";

/** Upstream's ClusterRoles (policy.go), the aggregated ones with empty rules that the aggregation controller fills. */
function systemClusterRoles(): ClusterRole[] {
  return [
    clusterRole("cluster-admin", [rule("*", "*", "*"), urls("*", "*")]),
    clusterRole("system:discovery", [urls("get", "/api /api/* /apis /apis/* /healthz /livez /openapi /openapi/* /readyz /version /version/")]),
    clusterRole("system:monitoring", [urls("get", "/healthz /healthz/* /livez /livez/* /metrics /metrics/slis /readyz /readyz/*")]),
    clusterRole("system:basic-user", [
      rule("create", "authorization.k8s.io", "selfsubjectaccessreviews selfsubjectrulesreviews"),
      rule("create", "authentication.k8s.io", "selfsubjectreviews"),
    ]),
    clusterRole("system:public-info-viewer", [urls("get", "/healthz /livez /readyz /version /version/")]),
    aggregatedClusterRole("admin", "admin"),
    aggregatedClusterRole("edit", "edit", aggregateTo("admin")),
    aggregatedClusterRole("view", "view", aggregateTo("edit")),
    clusterRole("system:aggregate-to-admin", [
      rule("create", "authorization.k8s.io", "localsubjectaccessreviews"),
      rule(READ_WRITE, RBAC_GROUP, "rolebindings roles"),
    ], aggregateTo("admin")),
    clusterRole("system:aggregate-to-edit", [
      rule(READ, CORE, "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy"),
      rule("impersonate", CORE, "serviceaccounts"),
      rule("create delete deletecollection patch update", CORE, "pods pods/attach pods/exec pods/portforward pods/proxy"),
      rule("create", CORE, "pods/eviction"),
      rule("create delete deletecollection patch update", CORE, "configmaps events persistentvolumeclaims replicationcontrollers replicationcontrollers/scale secrets serviceaccounts services services/proxy"),
      rule("create", CORE, "serviceaccounts/token"),
      rule("create delete deletecollection patch update", "apps", "daemonsets deployments deployments/rollback deployments/scale replicasets replicasets/scale statefulsets statefulsets/scale"),
      rule("create delete deletecollection patch update", "autoscaling", "horizontalpodautoscalers"),
      rule("create delete deletecollection patch update", "batch", "cronjobs jobs"),
      rule("create delete deletecollection patch update", "extensions", "daemonsets deployments deployments/rollback deployments/scale ingresses networkpolicies replicasets replicasets/scale replicationcontrollers/scale"),
      rule("create delete deletecollection patch update", "policy", "poddisruptionbudgets"),
      rule("create delete deletecollection patch update", "networking.k8s.io", "ingresses networkpolicies"),
      rule("create delete deletecollection get list patch update watch", "coordination.k8s.io", "leases"),
    ], aggregateTo("edit")),
    clusterRole("system:aggregate-to-view", [
      rule(READ, CORE, "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods replicationcontrollers replicationcontrollers/scale serviceaccounts services services/status"),
      rule(READ, CORE, "bindings events limitranges namespaces/status pods/log pods/status replicationcontrollers/status resourcequotas resourcequotas/status"),
      rule(READ, CORE, "namespaces"),
      rule(READ, "discovery.k8s.io", "endpointslices"),
      rule(READ, "apps", "controllerrevisions daemonsets daemonsets/status deployments deployments/scale deployments/status replicasets replicasets/scale replicasets/status statefulsets statefulsets/scale statefulsets/status"),
      rule(READ, "autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status"),
      rule(READ, "batch", "cronjobs cronjobs/status jobs jobs/status"),
      rule(READ, "extensions", "daemonsets daemonsets/status deployments deployments/scale deployments/status ingresses ingresses/status networkpolicies replicasets replicasets/scale replicasets/status replicationcontrollers/scale"),
      rule(READ, "policy", "poddisruptionbudgets poddisruptionbudgets/status"),
      rule(READ, "networking.k8s.io", "ingresses ingresses/status networkpolicies"),
    ], aggregateTo("view")),
    clusterRole("system:heapster", [rule(READ, CORE, "events namespaces nodes pods"), rule(READ, "extensions", "deployments")]),
    clusterRole("system:node", [
      rule("create", "authentication.k8s.io", "tokenreviews"),
      rule("create", "authorization.k8s.io", "localsubjectaccessreviews subjectaccessreviews"),
      rule(READ, CORE, "services"),
      rule("create get list watch", CORE, "nodes"),
      rule("patch update", CORE, "nodes/status"),
      rule("patch update", CORE, "nodes"),
      rule("create patch update", CORE, "events"),
      rule(READ, CORE, "pods"),
      rule("create delete", CORE, "pods"),
      rule("patch update", CORE, "pods/status"),
      rule("create", CORE, "pods/eviction"),
      rule(READ, CORE, "configmaps secrets"),
      rule("get", CORE, "persistentvolumeclaims persistentvolumes"),
      rule("get", CORE, "endpoints"),
      rule("create get list watch", "certificates.k8s.io", "certificatesigningrequests"),
      rule("create delete get patch update", "coordination.k8s.io", "leases"),
      rule("get", "storage.k8s.io", "volumeattachments"),
      rule("create", CORE, "serviceaccounts/token"),
      rule("get patch update", CORE, "persistentvolumeclaims/status"),
      rule(READ, "storage.k8s.io", "csidrivers"),
      rule("create delete get patch update", "storage.k8s.io", "csinodes"),
      rule(READ, "node.k8s.io", "runtimeclasses"),
    ]),
    clusterRole("system:node-problem-detector", [rule("get", CORE, "nodes"), rule("patch", CORE, "nodes/status"), eventsRule()]),
    clusterRole("system:kubelet-api-admin", [
      rule(READ, CORE, "nodes"),
      rule("proxy", CORE, "nodes"),
      rule("*", CORE, "nodes/log nodes/metrics nodes/proxy nodes/stats"),
    ]),
    clusterRole("system:node-bootstrapper", [rule("create get list watch", "certificates.k8s.io", "certificatesigningrequests")]),
    clusterRole("system:auth-delegator", [
      rule("create", "authentication.k8s.io", "tokenreviews"),
      rule("create", "authorization.k8s.io", "subjectaccessreviews"),
    ]),
    clusterRole("system:kube-aggregator", [rule(READ, CORE, "endpoints services")]),
    clusterRole("system:kube-controller-manager", [
      eventsRule(),
      rule("create", "coordination.k8s.io", "leases"),
      rule("get update", "coordination.k8s.io", "leases", "kube-controller-manager"),
      rule("create", CORE, "secrets serviceaccounts"),
      rule("delete", CORE, "secrets"),
      rule("get", CORE, "configmaps namespaces secrets serviceaccounts"),
      rule("update", CORE, "secrets serviceaccounts"),
      rule("create", "authentication.k8s.io", "tokenreviews"),
      rule("create", "authorization.k8s.io", "subjectaccessreviews"),
      rule("list watch", "*", "*"),
      rule("create", CORE, "serviceaccounts/token"),
    ]),
    clusterRole("system:kube-dns", [rule("list watch", CORE, "endpoints services")]),
    clusterRole("system:persistent-volume-provisioner", [
      rule("create delete get list watch", CORE, "persistentvolumes"),
      rule("patch update", CORE, "persistentvolumes/status"),
      rule("get list patch update watch", CORE, "persistentvolumeclaims"),
      rule("patch update", CORE, "persistentvolumeclaims/status"),
      rule(READ, "storage.k8s.io", "storageclasses"),
      rule("watch", CORE, "events"),
      eventsRule(),
    ]),
    clusterRole("system:certificates.k8s.io:kubelet-serving-approver", [rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kubelet-serving")]),
    clusterRole("system:certificates.k8s.io:kube-apiserver-client-approver", [rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client")]),
    clusterRole("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client-kubelet")]),
    clusterRole("system:certificates.k8s.io:legacy-unknown-approver", [rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/legacy-unknown")]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [rule("create", "certificates.k8s.io", "certificatesigningrequests/nodeclient")]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [rule("create", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient")]),
    clusterRole("system:kube-scheduler", [
      eventsRule(),
      rule("create", "coordination.k8s.io", "leases"),
      rule("get update", "coordination.k8s.io", "leases", "kube-scheduler"),
      rule(READ, CORE, "nodes"),
      rule("delete get list watch", CORE, "pods"),
      rule("create", CORE, "bindings pods/binding"),
      rule("patch update", CORE, "pods/status"),
      rule(READ, CORE, "replicationcontrollers services"),
      rule(READ, ["apps", "extensions"], "replicasets"),
      rule(READ, "apps", "statefulsets"),
      rule(READ, "policy", "poddisruptionbudgets"),
      rule(READ, CORE, "persistentvolumeclaims persistentvolumes"),
      rule("create", "authentication.k8s.io", "tokenreviews"),
      rule("create", "authorization.k8s.io", "subjectaccessreviews"),
      rule(READ, "storage.k8s.io", "csinodes"),
      rule(READ, CORE, "namespaces"),
      rule(READ, "storage.k8s.io", "csidrivers"),
      rule(READ, "storage.k8s.io", "csistoragecapacities"),
    ]),
    clusterRole("system:node-proxier", [
      rule("list watch", CORE, "endpoints services"),
      rule(READ, CORE, "nodes"),
      eventsRule(),
      rule("list watch", "discovery.k8s.io", "endpointslices"),
    ]),
    clusterRole("system:volume-scheduler", [
      rule("get list patch update watch", CORE, "persistentvolumes"),
      rule(READ, "storage.k8s.io", "storageclasses"),
      rule("get list patch update watch", CORE, "persistentvolumeclaims"),
    ]),
    clusterRole("system:service-account-issuer-discovery", [urls("get", "/.well-known/openid-configuration /openid/v1/jwks")]),
  ];
}

/** Upstream's controller roles (controller_policy.go): `system:controller:<name>`, each bound to the kube-system service account <name>. */
function controllerRoles(): ClusterRole[] {
  const c = (name: string, rules: PolicyRule[]) => clusterRole(`system:controller:${name}`, rules);
  return [
    c("attachdetach-controller", [
      rule("list watch", CORE, "persistentvolumeclaims persistentvolumes"),
      rule(READ, CORE, "nodes"),
      rule("patch update", CORE, "nodes/status"),
      rule("list watch", CORE, "pods"),
      eventsRule(),
      rule("create delete get list watch", "storage.k8s.io", "volumeattachments"),
      rule(READ, "storage.k8s.io", "csidrivers"),
      rule(READ, "storage.k8s.io", "csinodes"),
    ]),
    c("clusterrole-aggregation-controller", [rule("escalate get list patch update watch", RBAC_GROUP, "clusterroles")]),
    c("cronjob-controller", [
      rule("get list update watch", "batch", "cronjobs"),
      rule("create delete get list patch update watch", "batch", "jobs"),
      rule("update", "batch", "cronjobs/status"),
      rule("update", "batch", "cronjobs/finalizers"),
      rule("delete list watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("daemon-set-controller", [
      rule(READ, ["apps", "extensions"], "daemonsets"),
      rule("update", ["apps", "extensions"], "daemonsets/status"),
      rule("update", ["apps", "extensions"], "daemonsets/finalizers"),
      rule("list watch", CORE, "nodes"),
      rule("create delete list patch watch", CORE, "pods"),
      rule("create", CORE, "pods/binding"),
      rule("create delete get list patch update watch", "apps", "controllerrevisions"),
      eventsRule(),
    ]),
    c("deployment-controller", [
      rule("get list update watch", ["apps", "extensions"], "deployments"),
      rule("update", ["apps", "extensions"], "deployments/status"),
      rule("update", ["apps", "extensions"], "deployments/finalizers"),
      rule("create delete get list patch update watch", ["apps", "extensions"], "replicasets"),
      rule("get list update watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("disruption-controller", [
      rule(READ, ["apps", "extensions"], "deployments"),
      rule(READ, ["apps", "extensions"], "replicasets"),
      rule(READ, CORE, "replicationcontrollers"),
      rule(READ, "policy", "poddisruptionbudgets"),
      rule(READ, "apps", "statefulsets"),
      rule("update", "policy", "poddisruptionbudgets/status"),
      rule("patch update", CORE, "pods/status"),
      rule("get", "*", "*/scale"),
      eventsRule(),
    ]),
    c("endpoint-controller", [
      rule(READ, CORE, "pods services"),
      rule("create delete get list update watch", CORE, "endpoints"),
      rule("create", CORE, "endpoints/restricted"),
      eventsRule(),
    ]),
    c("endpointslice-controller", [
      rule(READ, CORE, "nodes pods services"),
      rule("update", CORE, "services/finalizers"),
      rule("create delete get list update watch", "discovery.k8s.io", "endpointslices"),
      eventsRule(),
    ]),
    c("endpointslicemirroring-controller", [
      rule(READ, CORE, "endpoints services"),
      rule("update", CORE, "services/finalizers"),
      rule("update", CORE, "endpoints/finalizers"),
      rule("create delete get list update watch", "discovery.k8s.io", "endpointslices"),
      eventsRule(),
    ]),
    c("expand-controller", [
      rule("get list patch update watch", CORE, "persistentvolumes"),
      rule("patch update", CORE, "persistentvolumeclaims/status"),
      rule(READ, CORE, "persistentvolumeclaims"),
      eventsRule(),
    ]),
    c("ephemeral-volume-controller", [
      rule(READ, CORE, "pods"),
      rule("update", CORE, "pods/finalizers"),
      rule("create get list watch", CORE, "persistentvolumeclaims"),
      eventsRule(),
    ]),
    c("generic-garbage-collector", [rule("delete get list patch update watch", "*", "*"), eventsRule()]),
    c("horizontal-pod-autoscaler", [
      rule(READ, "autoscaling", "horizontalpodautoscalers"),
      rule("update", "autoscaling", "horizontalpodautoscalers/status"),
      rule("get update", "*", "*/scale"),
      rule("list watch", CORE, "pods"),
      rule("list watch", "metrics.k8s.io", "pods"),
      rule(READ, "custom.metrics.k8s.io", "*"),
      rule(READ, "external.metrics.k8s.io", "*"),
      eventsRule(),
    ]),
    c("job-controller", [
      rule("get list patch update watch", "batch", "jobs"),
      rule("update", "batch", "jobs/status"),
      rule("update", "batch", "jobs/finalizers"),
      rule("create delete list patch watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("namespace-controller", [
      rule("delete get list watch", CORE, "namespaces"),
      rule("update", CORE, "namespaces/finalize namespaces/status"),
      rule("delete deletecollection get list watch", "*", "*"),
    ]),
    c("node-controller", [
      rule("delete get list patch update watch", CORE, "nodes"),
      rule("patch update", CORE, "nodes/status"),
      rule("patch update", CORE, "pods/status"),
      rule("delete get list watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("persistent-volume-binder", [
      rule("create delete get list update watch", CORE, "persistentvolumes"),
      rule("update", CORE, "persistentvolumes/status"),
      rule("get list patch update watch", CORE, "persistentvolumeclaims"),
      rule("patch update", CORE, "persistentvolumeclaims/status"),
      rule("update", CORE, "persistentvolumeclaims/status"),
      rule("create delete get list watch", CORE, "pods"),
      rule(READ, "storage.k8s.io", "storageclasses"),
      rule("list watch", CORE, "nodes"),
      eventsRule(),
      rule("watch", CORE, "events"),
    ]),
    c("pod-garbage-collector", [
      rule("delete list watch", CORE, "pods"),
      rule(READ, CORE, "nodes"),
      rule("patch", CORE, "pods/status"),
    ]),
    c("replicaset-controller", [
      rule("get list update watch", ["apps", "extensions"], "replicasets"),
      rule("update", ["apps", "extensions"], "replicasets/status"),
      rule("update", ["apps", "extensions"], "replicasets/finalizers"),
      rule("create delete list patch watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("replication-controller", [
      rule("get list update watch", CORE, "replicationcontrollers"),
      rule("update", CORE, "replicationcontrollers/status"),
      rule("update", CORE, "replicationcontrollers/finalizers"),
      rule("create delete list patch watch", CORE, "pods"),
      eventsRule(),
    ]),
    c("resourcequota-controller", [
      rule("list watch", "*", "*"),
      rule("update", CORE, "resourcequotas/status"),
      eventsRule(),
    ]),
    c("route-controller", [rule("list watch", CORE, "nodes"), rule("patch", CORE, "nodes/status"), eventsRule()]),
    c("service-account-controller", [rule("create", CORE, "serviceaccounts"), eventsRule()]),
    c("service-controller", [
      rule(READ, CORE, "services"),
      rule("patch update", CORE, "services/status"),
      rule("list watch", CORE, "nodes"),
      eventsRule(),
    ]),
    c("statefulset-controller", [
      rule("list watch", CORE, "pods"),
      rule(READ, "apps", "statefulsets"),
      rule("update", "apps", "statefulsets/status"),
      rule("update", "apps", "statefulsets/finalizers"),
      rule("create delete get patch update", CORE, "pods"),
      rule("create delete get list patch update watch", "apps", "controllerrevisions"),
      rule("create get list watch", CORE, "persistentvolumeclaims"),
      rule("delete update", CORE, "persistentvolumeclaims"),
      rule("update", CORE, "pods/finalizers"),
      eventsRule(),
    ]),
    c("ttl-controller", [rule("list patch update watch", CORE, "nodes"), eventsRule()]),
    c("certificate-controller", [
      rule("delete get list watch", "certificates.k8s.io", "certificatesigningrequests"),
      rule("update", "certificates.k8s.io", "certificatesigningrequests/approval certificatesigningrequests/status"),
      rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client-kubelet"),
      // Skiff's approver also approves nodes' own serving certificates and their proxies' system:kube-proxy ones, as k3s does.
      rule("approve", "certificates.k8s.io", "signers", "kubernetes.io/kubelet-serving kubernetes.io/kube-apiserver-client"),
      rule("sign", "certificates.k8s.io", "signers", SIGNERS),
      rule("create", "authorization.k8s.io", "subjectaccessreviews"),
      eventsRule(),
    ]),
    c("pvc-protection-controller", [
      rule("get list watch update", CORE, "persistentvolumeclaims"),
      rule("list watch get", CORE, "pods"),
      eventsRule(),
    ]),
    c("pv-protection-controller", [rule("get list watch update", CORE, "persistentvolumes"), eventsRule()]),
    c("ttl-after-finished-controller", [rule("delete get list watch", "batch", "jobs"), eventsRule()]),
    c("root-ca-cert-publisher", [rule("create update", CORE, "configmaps"), eventsRule()]),
    c("validatingadmissionpolicy-status-controller", [
      rule(READ, "admissionregistration.k8s.io", "validatingadmissionpolicies"),
      rule("get patch update", "admissionregistration.k8s.io", "validatingadmissionpolicies/status"),
      eventsRule(),
    ]),
    c("legacy-service-account-token-cleaner", [
      rule("get", CORE, "configmaps", "kube-apiserver-legacy-service-account-token-tracking"),
      rule("delete patch", CORE, "secrets"),
    ]),
  ];
}

/** Skiff's own components, as k3s adds roles for its own. */
function skiffClusterRoles(): ClusterRole[] {
  return [
    clusterRole(SKIFF_CONTROLLER_USER, [
      // The ingress controller: its IngressClass, the Ingresses' routes and status, TLS Secrets, backends' endpoints.
      rule(READ, "networking.k8s.io", "ingresses ingressclasses"),
      rule("create", "networking.k8s.io", "ingressclasses"),
      rule("patch update", "networking.k8s.io", "ingresses/status"),
      rule(READ, CORE, "services endpoints secrets nodes"),
      rule(READ, "discovery.k8s.io", "endpointslices"),
      // The server keeps the cluster's one kube-dns Service and its EndpointSlice of the nodes' DNS servers.
      rule("create", CORE, "services"),
      rule("update", CORE, "services", "kube-dns"),
      rule("create", "discovery.k8s.io", "endpointslices"),
      rule("update", "discovery.k8s.io", "endpointslices", KUBE_DNS_SLICE),
      // ServiceLB writes LoadBalancer Services' status.
      rule("patch update", CORE, "services/status"),
      eventsRule(),
    ]),
    // Upstream's CoreDNS manifest's role (not in the bootstrap policy upstream: kubeadm and k3s install it with
    // CoreDNS), for each node's in-process cluster DNS, which only reads.
    clusterRole(NODE_COMPONENT_USERS.dns, [
      rule("list watch", CORE, "endpoints services pods namespaces"),
      rule("list watch", "discovery.k8s.io", "endpointslices"),
    ]),
    clusterRole("skiff:local-path-provisioner", [
      rule("create delete get list watch", CORE, "persistentvolumes"),
      rule("patch update", CORE, "persistentvolumes/status"),
      rule("get list patch update watch", CORE, "persistentvolumeclaims"),
      rule("patch update", CORE, "persistentvolumeclaims/status"),
      rule(READ, "storage.k8s.io", "storageclasses"),
      // It makes its own StorageClass (local-path) on first start.
      rule("create", "storage.k8s.io", "storageclasses"),
      rule("get", CORE, "nodes"),
      eventsRule(),
    ]),
    clusterRole("skiff:csr-signer", [
      rule(READ, "certificates.k8s.io", "certificatesigningrequests"),
      rule("update", "certificates.k8s.io", "certificatesigningrequests/status"),
      rule("sign", "certificates.k8s.io", "signers", SIGNERS),
      eventsRule(),
    ]),
  ];
}

export function bootstrapClusterRoles(): ClusterRole[] {
  return [...systemClusterRoles(), ...controllerRoles(), ...skiffClusterRoles()];
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", [group("system:masters")]),
    clusterRoleBinding("system:monitoring", "system:monitoring", [group("system:monitoring")]),
    clusterRoleBinding("system:discovery", "system:discovery", [group("system:authenticated")]),
    clusterRoleBinding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]),
    clusterRoleBinding("system:node-proxier", "system:node-proxier", [user("system:kube-proxy")]),
    clusterRoleBinding("system:kube-controller-manager", "system:kube-controller-manager", [user("system:kube-controller-manager")]),
    clusterRoleBinding("system:kube-dns", "system:kube-dns", [serviceAccount("kube-system", "kube-dns")]),
    clusterRoleBinding("system:kube-scheduler", "system:kube-scheduler", [user("system:kube-scheduler")]),
    clusterRoleBinding("system:volume-scheduler", "system:volume-scheduler", [user("system:kube-scheduler")]),
    // Nodes are authorized by the Node authorizer; upstream keeps this binding, without subjects.
    clusterRoleBinding("system:node", "system:node", []),
    clusterRoleBinding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", [group("system:serviceaccounts")]),
    ...controllerRoles().map((r) => {
      const name = r.metadata!.name!;
      return clusterRoleBinding(name, name, [serviceAccount("kube-system", name.slice("system:controller:".length))]);
    }),
    clusterRoleBinding(SKIFF_CONTROLLER_USER, SKIFF_CONTROLLER_USER, [user(SKIFF_CONTROLLER_USER)]),
    clusterRoleBinding(NODE_COMPONENT_USERS.dns, NODE_COMPONENT_USERS.dns, [user(NODE_COMPONENT_USERS.dns)]),
    // The API server's calls to kubelets (logs, exec, attach, port-forward, node proxy, stats), which the
    // kubelets authorize by SubjectAccessReview: upstream's role for it, bound as k3s binds its own.
    clusterRoleBinding("kube-apiserver-kubelet-admin", "system:kubelet-api-admin", [user(KUBELET_CLIENT_USER)]),
    // TLS bootstrapping, as kubeadm binds it: bootstrap tokens may ask for a node client certificate, which is
    // approved for them, and nodes may renew their own.
    clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", [group("system:bootstrappers")]),
    clusterRoleBinding("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", [group("system:bootstrappers")]),
    clusterRoleBinding("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [group("system:nodes")]),
    // Controllers of the controller manager act as their service accounts (CONTROLLER_SERVICE_ACCOUNTS).
    clusterRoleBinding("skiff:local-path-provisioner", "skiff:local-path-provisioner", [serviceAccount("kube-system", "local-path-provisioner")]),
    clusterRoleBinding("skiff:csr-signer", "skiff:csr-signer", [serviceAccount("kube-system", "certificate-controller")]),
    // Skiff's endpoints controller writes Endpoints and EndpointSlices both, the work of two upstream controllers.
    clusterRoleBinding("skiff:endpoint-controller-slices", "system:controller:endpointslice-controller", [serviceAccount("kube-system", "endpoint-controller")]),
  ];
}

/** Upstream's namespaced Roles (namespace_policy.go) in kube-system and kube-public. */
export function bootstrapRoles(): Role[] {
  const leaderLocking = [rule("create get list update watch", "coordination.k8s.io", "leases"), rule("create get list update watch", "coordination.k8s.io", "leasecandidates")];
  return [
    role("kube-system", "extension-apiserver-authentication-reader", [rule(READ, CORE, "configmaps", "extension-apiserver-authentication")]),
    role("kube-system", "system::leader-locking-kube-controller-manager", leaderLocking),
    role("kube-system", "system::leader-locking-kube-scheduler", leaderLocking),
    role("kube-system", "system:controller:bootstrap-signer", [rule(READ, CORE, "secrets")]),
    role("kube-system", "system:controller:cloud-provider", [rule("create get list watch", CORE, "configmaps")]),
    role("kube-system", "system:controller:token-cleaner", [rule("delete get list watch", CORE, "secrets"), eventsRule()]),
    role("kube-public", "system:controller:bootstrap-signer", [
      rule(READ, CORE, "configmaps"),
      rule("update", CORE, "configmaps", "cluster-info"),
      eventsRule(),
    ]),
  ];
}

export function bootstrapRoleBindings(): RoleBinding[] {
  return [
    roleBinding("kube-system", "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader", [user("system:kube-controller-manager"), user("system:kube-scheduler")]),
    roleBinding("kube-system", "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager",
      [user("system:kube-controller-manager"), serviceAccount("kube-system", "kube-controller-manager"), serviceAccount("kube-system", "leader-election-controller")]),
    roleBinding("kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler", [user("system:kube-scheduler"), serviceAccount("kube-system", "kube-scheduler")]),
    roleBinding("kube-system", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", [serviceAccount("kube-system", "bootstrap-signer")]),
    roleBinding("kube-system", "system:controller:cloud-provider", "system:controller:cloud-provider", [serviceAccount("kube-system", "cloud-provider")]),
    roleBinding("kube-system", "system:controller:token-cleaner", "system:controller:token-cleaner", [serviceAccount("kube-system", "token-cleaner")]),
    roleBinding("kube-public", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", [serviceAccount("kube-system", "bootstrap-signer")]),
  ];
}
