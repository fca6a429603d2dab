/**
 * SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview and
 * SelfSubjectRulesReview: questions to the authorizer, answered and never
 * stored, as upstream's authorization.k8s.io registry. `kubectl auth can-i`
 * asks these.
 */
import type {
  LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview, SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
} from "kubernetes-types/authorization/v1.js";
import { invalid, type FieldError } from "../../../api/errors.js";
import type { UserInfo } from "../../authentication/user-info.js";
import type { Attributes, Authorizer, RuleResolver } from "../../authorization/authorizer.js";

type AnyReview = SubjectAccessReview | LocalSubjectAccessReview | SelfSubjectAccessReview;

function attributesOf(spec: SubjectAccessReviewSpec | undefined, user: UserInfo): Attributes | undefined {
  const r = spec?.resourceAttributes;
  if (r) {
    return {
      user, verb: r.verb ?? "", resourceRequest: true, path: "", apiGroup: r.group ?? "", apiVersion: r.version ?? "",
      resource: r.resource ?? "", subresource: r.subresource ?? "", namespace: r.namespace ?? "", name: r.name ?? "",
    };
  }
  const n = spec?.nonResourceAttributes;
  if (n) {
    return { user, verb: n.verb ?? "", resourceRequest: false, path: n.path ?? "", apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
  }
  return undefined;
}

function decide(authorizer: Authorizer, attrs: Attributes): SubjectAccessReviewStatus {
  const r = authorizer.authorize(attrs);
  const status: SubjectAccessReviewStatus = { allowed: r.decision === "Allow" };
  if (r.decision === "Deny") status.denied = true;
  if (r.reason) status.reason = r.reason;
  return status;
}

function both(spec: SubjectAccessReviewSpec | undefined, kind: string): FieldError[] {
  if (spec?.resourceAttributes && spec.nonResourceAttributes) {
    return [{ type: "FieldValueInvalid", field: "spec.nonResourceAttributes", value: spec.nonResourceAttributes, detail: "cannot be specified in combination with resourceAttributes" }];
  }
  if (!spec?.resourceAttributes && !spec?.nonResourceAttributes) {
    return [{ type: "FieldValueInvalid", field: "spec.resourceAttributes", value: null, detail: `exactly one of nonResourceAttributes or resourceAttributes must be specified` }];
  }
  void kind;
  return [];
}

/** SubjectAccessReview: may the named user do this? */
export function subjectAccessReview(body: SubjectAccessReview, authorizer: Authorizer): SubjectAccessReview {
  const spec = body.spec;
  const errs = both(spec, "SubjectAccessReview");
  if (!spec?.user && !(spec?.groups ?? []).length) {
    errs.push({ type: "FieldValueInvalid", field: "spec.user", value: "", detail: "at least one of user or group must be specified" });
  }
  if (errs.length) throw invalid("SubjectAccessReview", "authorization.k8s.io", "", errs);
  const user: UserInfo = { username: spec.user ?? "", groups: spec.groups ?? [] };
  if (spec.uid) user.uid = spec.uid;
  if (spec.extra) user.extra = spec.extra;
  return answered(body, "SubjectAccessReview", decide(authorizer, attributesOf(spec, user)!));
}

/** LocalSubjectAccessReview: the same, within the namespace of the request. */
export function localSubjectAccessReview(body: LocalSubjectAccessReview, namespace: string, authorizer: Authorizer): LocalSubjectAccessReview {
  const ns = body.spec?.resourceAttributes?.namespace;
  if (body.spec?.resourceAttributes && ns !== namespace) {
    throw invalid("LocalSubjectAccessReview", "authorization.k8s.io", "", [{ type: "FieldValueInvalid", field: "spec.resourceAttributes.namespace", value: ns ?? "", detail: `must match the namespace of the request (${namespace})` }]);
  }
  const out = subjectAccessReview(body as SubjectAccessReview, authorizer);
  return { ...out, kind: "LocalSubjectAccessReview", metadata: { ...out.metadata, namespace } } as LocalSubjectAccessReview;
}

/** SelfSubjectAccessReview: may I do this? */
export function selfSubjectAccessReview(body: SelfSubjectAccessReview, requester: UserInfo, authorizer: Authorizer): SelfSubjectAccessReview {
  const errs = both(body.spec as SubjectAccessReviewSpec, "SelfSubjectAccessReview");
  if (errs.length) throw invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", errs);
  return answered(body, "SelfSubjectAccessReview", decide(authorizer, attributesOf(body.spec as SubjectAccessReviewSpec, requester)!));
}

/** SelfSubjectRulesReview: what may I do in this namespace? (`kubectl auth can-i --list`) */
export function selfSubjectRulesReview(body: SelfSubjectRulesReview, requester: UserInfo, resolver: RuleResolver): SelfSubjectRulesReview {
  const namespace = body.spec?.namespace ?? "";
  const rules = resolver.rulesFor(requester, namespace);
  const status: SelfSubjectRulesReview["status"] = { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete };
  if (rules.evaluationError) status.evaluationError = rules.evaluationError;
  return { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", metadata: { creationTimestamp: null } as never, spec: body.spec ?? {}, status };
}

function answered<T extends AnyReview>(body: T, kind: string, status: SubjectAccessReviewStatus): T {
  return { apiVersion: "authorization.k8s.io/v1", kind, metadata: { creationTimestamp: null }, spec: body.spec, status } as unknown as T;
}
