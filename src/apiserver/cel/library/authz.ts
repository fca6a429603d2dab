/**
 * Kubernetes' CEL authorizer library (library/authz.go): checks, from an
 * admission expression, what the request's user (or a service account) may
 * do, against the server's own authorizer:
 *
 *   authorizer.group('apps').resource('deployments').namespace('ns').check('update').allowed()
 *   authorizer.path('/healthz').check('get').reason()
 *   authorizer.serviceAccount('ns', 'sa').group('').resource('pods').check('list').allowed()
 *   authorizer.requestResource.check('delete').allowed()
 *
 * Upstream declares authorizer.requestResource as a variable of its own (a
 * dotted name); the evaluator here resolves no dotted variable names, so it
 * is a field of the Authorizer value, bound to the request's resource (the
 * compiler refuses it on an Authorizer serviceAccount() returns, as cel-go
 * does, see compile.ts). The values are receiver-only objects: nothing but
 * these functions reads them.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { UserInfo } from "../../authentication/user-info.js";
import { SERVICE_ACCOUNT_PREFIX, SERVICE_ACCOUNTS_GROUP } from "../../authentication/user-info.js";
import type { Attributes, Authorizer } from "../../authorization/authorizer.js";

export const AUTHORIZER_TYPE = "kubernetes.authorization.Authorizer";
const PATH_CHECK = "kubernetes.authorization.PathCheck";
const GROUP_CHECK = "kubernetes.authorization.GroupCheck";
const RESOURCE_CHECK = "kubernetes.authorization.ResourceCheck";
const DECISION = "kubernetes.authorization.Decision";

/** What a ResourceCheck asks about, as upstream's resourceCheckVal holds it. */
export interface RequestResource { group: string; resource: string; subresource: string; namespace: string; name: string; fieldSelector?: string; labelSelector?: string }

/** A ResourceCheck: the resource's attributes so far, for the user of its authorizer. */
export class ResourceCheck {
  constructor(readonly authz: AuthorizerValue, readonly r: RequestResource) {}
  with(change: Partial<RequestResource>): ResourceCheck {
    return new ResourceCheck(this.authz, { ...this.r, ...change });
  }
}

class GroupCheck {
  constructor(readonly authz: AuthorizerValue, readonly group: string) {}
}

class PathCheck {
  constructor(readonly authz: AuthorizerValue, readonly path: string) {}
}

/** An authorization decision: allowed only on Allow (NoOpinion is not allowed); the authorizers here do not fail, so never errored. */
class Decision {
  constructor(readonly allowed: boolean, readonly reason: string, readonly error = "") {}
}

/** The `authorizer` variable: the server's authorizer for one user. */
export class AuthorizerValue {
  /** The request's resource, as `authorizer.requestResource` (the request's user, not a service account's). */
  readonly requestResource: ResourceCheck;

  constructor(readonly authorizer: Authorizer, readonly user: UserInfo, request: RequestResource) {
    this.requestResource = new ResourceCheck(this, request);
  }

  decide(attrs: Omit<Attributes, "user">): Decision {
    const r = this.authorizer.authorize({ ...attrs, user: this.user });
    return new Decision(r.decision === "Allow", r.reason);
  }
}

/** The `authorizer` value for a request: its user, and its resource as requestResource. */
export function authorizerFor(authorizer: Authorizer, user: UserInfo, request: RequestResource): AuthorizerValue {
  return new AuthorizerValue(authorizer, user, request);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function serviceAccount(a: AuthorizerValue, namespace: string, name: string): AuthorizerValue {
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) throw new Error("Invalid service account name");
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) throw new Error("Invalid service account namespace");
  // As upstream's ServiceAccountInfo.UserInfo: the account's name and its two groups, nothing more.
  const user: UserInfo = { username: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`, groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`] };
  return new AuthorizerValue(a.authorizer, user, a.requestResource.r);
}

function resourceCheck(rc: ResourceCheck, verb: string): Decision {
  const r = rc.r;
  return rc.authz.decide({ verb, resourceRequest: true, path: "", apiGroup: r.group, apiVersion: "*", resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name });
}

export function registerAuthz(env: Environment): void {
  env.registerType(RESOURCE_CHECK, ResourceCheck);
  env.registerType(GROUP_CHECK, GroupCheck);
  env.registerType(PATH_CHECK, PathCheck);
  env.registerType(DECISION, Decision);
  env.registerType(AUTHORIZER_TYPE, { ctor: AuthorizerValue, fields: { requestResource: RESOURCE_CHECK } });
  env.registerFunction(`${AUTHORIZER_TYPE}.path(string): ${PATH_CHECK}`, (a: AuthorizerValue, path: string) => {
    if (!path.trim()) throw new Error("path must not be empty");
    return new PathCheck(a, path);
  });
  env.registerFunction(`${AUTHORIZER_TYPE}.group(string): ${GROUP_CHECK}`, (a: AuthorizerValue, group: string) => new GroupCheck(a, group));
  env.registerFunction(`${AUTHORIZER_TYPE}.serviceAccount(string, string): ${AUTHORIZER_TYPE}`, serviceAccount);
  env.registerFunction(`${GROUP_CHECK}.resource(string): ${RESOURCE_CHECK}`, (g: GroupCheck, resource: string) => {
    if (!resource.trim()) throw new Error("resource must not be empty");
    return new ResourceCheck(g.authz, { group: g.group, resource, subresource: "", namespace: "", name: "" });
  });
  env.registerFunction(`${RESOURCE_CHECK}.subresource(string): ${RESOURCE_CHECK}`, (rc: ResourceCheck, subresource: string) => rc.with({ subresource }));
  env.registerFunction(`${RESOURCE_CHECK}.namespace(string): ${RESOURCE_CHECK}`, (rc: ResourceCheck, namespace: string) => rc.with({ namespace }));
  env.registerFunction(`${RESOURCE_CHECK}.name(string): ${RESOURCE_CHECK}`, (rc: ResourceCheck, name: string) => rc.with({ name }));
  // The selectors library (AuthorizeWithSelectors, beta and on in v1.32): kept on the check, but no
  // authorizer here reads selectors (RBAC ignores them, as upstream's does), so they change no decision.
  env.registerFunction(`${RESOURCE_CHECK}.fieldSelector(string): ${RESOURCE_CHECK}`, (rc: ResourceCheck, fieldSelector: string) => rc.with({ fieldSelector }));
  env.registerFunction(`${RESOURCE_CHECK}.labelSelector(string): ${RESOURCE_CHECK}`, (rc: ResourceCheck, labelSelector: string) => rc.with({ labelSelector }));
  env.registerFunction(`${RESOURCE_CHECK}.check(string): ${DECISION}`, resourceCheck);
  // The verb is passed as written, as upstream does: RBAC's non-resource rules name lower-case verbs.
  env.registerFunction(`${PATH_CHECK}.check(string): ${DECISION}`, (p: PathCheck, verb: string) => p.authz.decide({ verb, resourceRequest: false, path: p.path, apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" }));
  env.registerFunction(`${DECISION}.allowed(): bool`, (d: Decision) => d.allowed);
  env.registerFunction(`${DECISION}.reason(): string`, (d: Decision) => d.reason);
  env.registerFunction(`${DECISION}.errored(): bool`, (d: Decision) => d.error !== "");
  env.registerFunction(`${DECISION}.error(): string`, (d: Decision) => d.error);
}
