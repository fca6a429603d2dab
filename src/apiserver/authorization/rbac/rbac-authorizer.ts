/**
 * The RBAC authorizer (upstream's plugin/pkg/auth/authorizer/rbac): a request
 * is allowed when a rule of a role bound to its user, one of its groups or its
 * service account allows it; otherwise it has no opinion. ClusterRoleBindings
 * grant everywhere, RoleBindings in their own namespace.
 *
 * Speed: bindings are indexed by subject once per policy generation, and the
 * grants of one (user, groups) pair are resolved once per generation, so a
 * request costs a map lookup and a walk over that user's rules.
 */
import type { ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject } from "kubernetes-types/rbac/v1.js";
import { SERVICE_ACCOUNT_PREFIX, type UserInfo } from "../../authentication/user-info.js";
import type { Attributes, Authorizer, AuthorizerResult, NonResourceRule, ResourceRule, RuleResolver } from "../authorizer.js";
import type { PolicySource } from "./policy-source.js";
import { ruleAllows } from "./rule-matching.js";

/** The rules one binding gives one user, and upstream's description of where they come from. */
export interface Grant {
  /** `ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"`. */
  source: string;
  /** `RBAC: allowed by <source>`, built once rather than per request. */
  reason: string;
  rules: readonly PolicyRule[];
}

interface Resolved { grants: Grant[]; errors: string[] }

interface UserGrants {
  generation: number;
  cluster: Resolved;
  namespaces: Map<string, Resolved>;
}

/** A binding's subjects, by the key a user matches them with: `u:<username>` or `g:<group>`. */
type SubjectIndex = Map<string, { order: number; subject: number }[]>;

interface BindingIndex<B> { bindings: readonly B[]; bySubject: SubjectIndex }

const NO_OPINION: AuthorizerResult = { decision: "NoOpinion", reason: "" };
/** Bounds the memory of per-user grants when many distinct users come and go. */
const MAX_CACHED_USERS = 4096;

export interface RbacAuthorizerOptions {
  policy: PolicySource;
}

export class RbacAuthorizer implements Authorizer, RuleResolver {
  private readonly policy: PolicySource;
  private indexedAt = -1;
  private clusterIndex: BindingIndex<ClusterRoleBinding> = { bindings: [], bySubject: new Map() };
  private namespaceIndexes = new Map<string, BindingIndex<RoleBinding>>();
  private users = new Map<string, UserGrants>();
  /** The last identity seen: a client's requests come in runs, and an authenticator that caches identities hands the same UserInfo again. */
  private lastUser?: UserInfo;
  private lastGrants?: UserGrants;

  constructor(options: RbacAuthorizerOptions) {
    this.policy = options.policy;
  }

  authorize(attrs: Attributes): AuthorizerResult {
    const g = this.grantsOf(attrs.user);
    const cluster = g.cluster;
    for (const grant of cluster.grants) {
      for (const rule of grant.rules) if (ruleAllows(attrs, rule)) return { decision: "Allow", reason: grant.reason };
    }
    let errors = cluster.errors;
    if (attrs.namespace) {
      const local = this.namespaceGrants(g, attrs.user, attrs.namespace);
      for (const grant of local.grants) {
        for (const rule of grant.rules) if (ruleAllows(attrs, rule)) return { decision: "Allow", reason: grant.reason };
      }
      if (local.errors.length) errors = [...errors, ...local.errors];
    }
    return errors.length ? { decision: "NoOpinion", reason: `RBAC: ${aggregate(errors)}` } : NO_OPINION;
  }

  /** Every rule that applies to the user in the namespace (cluster-wide ones too), and the errors met resolving them. */
  policyRulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const g = this.grantsOf(user);
    const parts = [g.cluster];
    if (namespace) parts.push(this.namespaceGrants(g, user, namespace));
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    for (const p of parts) {
      for (const grant of p.grants) rules.push(...grant.rules);
      errors.push(...p.errors);
    }
    return { rules, errors };
  }

  /** Where each rule comes from, for callers that explain a decision. */
  grantsFor(user: UserInfo, namespace: string): Grant[] {
    const g = this.grantsOf(user);
    return namespace ? [...g.cluster.grants, ...this.namespaceGrants(g, user, namespace).grants] : [...g.cluster.grants];
  }

  /** SelfSubjectRulesReview's view, as upstream's RBACAuthorizer.RulesFor (never incomplete; resolution errors reported). */
  rulesFor(user: UserInfo, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean; evaluationError?: string } {
    const { rules, errors } = this.policyRulesFor(user, namespace);
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const r of rules) {
      if (r.resources?.length) {
        const rr: ResourceRule = { verbs: [...r.verbs], apiGroups: [...(r.apiGroups ?? [])], resources: [...r.resources] };
        if (r.resourceNames?.length) rr.resourceNames = [...r.resourceNames];
        resourceRules.push(rr);
      }
      if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs] });
    }
    const out: ReturnType<RuleResolver["rulesFor"]> = { resourceRules, nonResourceRules, incomplete: false };
    if (errors.length) out.evaluationError = aggregate(errors);
    return out;
  }

  /** The rules a roleRef names, as seen from a binding in namespace ("" for a ClusterRoleBinding); error when it resolves to nothing. */
  getRoleReferenceRules(roleRef: RoleRef, namespace: string): { rules: readonly PolicyRule[]; error?: string } {
    switch (roleRef.kind) {
      case "Role": {
        const role = namespace ? this.policy.getRole(namespace, roleRef.name) : undefined;
        return role ? { rules: role.rules ?? [] } : { rules: [], error: `role.rbac.authorization.k8s.io ${JSON.stringify(roleRef.name)} not found` };
      }
      case "ClusterRole": {
        const role = this.policy.getClusterRole(roleRef.name);
        return role ? { rules: role.rules ?? [] } : { rules: [], error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(roleRef.name)} not found` };
      }
      default:
        return { rules: [], error: `unsupported role reference kind: ${JSON.stringify(roleRef.kind)}` };
    }
  }

  private reindex(): void {
    if (this.indexedAt === this.policy.generation) return;
    this.indexedAt = this.policy.generation;
    const bindings = this.policy.listClusterRoleBindings();
    this.clusterIndex = { bindings, bySubject: indexSubjects(bindings, "") };
    this.namespaceIndexes = new Map();
    this.users = new Map();
    this.lastUser = undefined;
    this.lastGrants = undefined;
  }

  private grantsOf(user: UserInfo): UserGrants {
    this.reindex();
    if (user === this.lastUser && this.lastGrants) return this.lastGrants;
    const key = userKey(user);
    let g = this.users.get(key);
    if (!g) {
      if (this.users.size >= MAX_CACHED_USERS) this.users.clear();
      g = { generation: this.indexedAt, cluster: this.resolve(this.clusterIndex, user, ""), namespaces: new Map() };
      this.users.set(key, g);
    }
    this.lastUser = user;
    this.lastGrants = g;
    return g;
  }

  private namespaceGrants(g: UserGrants, user: UserInfo, namespace: string): Resolved {
    let r = g.namespaces.get(namespace);
    if (!r) {
      let index = this.namespaceIndexes.get(namespace);
      if (!index) {
        const bindings = this.policy.listRoleBindings(namespace);
        index = { bindings, bySubject: indexSubjects(bindings, namespace) };
        this.namespaceIndexes.set(namespace, index);
      }
      r = this.resolve(index, user, namespace);
      g.namespaces.set(namespace, r);
    }
    return r;
  }

  /** The grants of every binding naming the user, in binding order, each described by its first subject that applies (as upstream). */
  private resolve(index: BindingIndex<RoleBinding | ClusterRoleBinding>, user: UserInfo, namespace: string): Resolved {
    const first = new Map<number, number>();
    const visit = (key: string) => {
      for (const e of index.bySubject.get(key) ?? []) {
        const seen = first.get(e.order);
        if (seen === undefined || e.subject < seen) first.set(e.order, e.subject);
      }
    };
    visit(`u:${user.username}`);
    for (const group of user.groups) visit(`g:${group}`);
    const grants: Grant[] = [];
    const errors: string[] = [];
    for (const order of [...first.keys()].sort((a, b) => a - b)) {
      const binding = index.bindings[order]!;
      const { rules, error } = this.getRoleReferenceRules(binding.roleRef, namespace);
      if (error) { errors.push(error); continue; }
      const subject = binding.subjects![first.get(order)!]!;
      const name = binding.metadata?.name ?? "";
      const source = namespace
        ? `RoleBinding ${JSON.stringify(`${name}/${namespace}`)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`
        : `ClusterRoleBinding ${JSON.stringify(name)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, "")}`;
      grants.push({ source, reason: `RBAC: allowed by ${source}`, rules });
    }
    return { grants, errors };
  }
}

function userKey(user: UserInfo): string {
  return user.groups.length ? `${user.username}\u0000${user.groups.join("\u0000")}` : user.username;
}

/** The key a subject matches users by; undefined when it can match nobody (a service account without a namespace in a ClusterRoleBinding). */
export function subjectKey(s: Subject, bindingNamespace: string): string | undefined {
  switch (s.kind) {
    case "User": return `u:${s.name}`;
    case "Group": return `g:${s.name}`;
    case "ServiceAccount": {
      // A RoleBinding's service account without a namespace is one of the binding's namespace.
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:${SERVICE_ACCOUNT_PREFIX}${ns}:${s.name}` : undefined;
    }
    default: return undefined;
  }
}

function indexSubjects(bindings: readonly (RoleBinding | ClusterRoleBinding)[], namespace: string): SubjectIndex {
  const index: SubjectIndex = new Map();
  bindings.forEach((b, order) => {
    (b.subjects ?? []).forEach((s, subject) => {
      const key = subjectKey(s, namespace);
      if (!key) return;
      let list = index.get(key);
      if (!list) index.set(key, list = []);
      list.push({ order, subject });
    });
  });
  return index;
}

/** Upstream's describeSubject: a service account as `name/namespace`. */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === "ServiceAccount") return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** utilerrors.NewAggregate's text: one message alone, several as `[a, b]`, duplicates once. */
export function aggregate(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}
