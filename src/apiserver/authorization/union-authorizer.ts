/**
 * Authorizers in order, as upstream's union: the first that allows or denies
 * decides; when none has an opinion the request is denied, with the reasons
 * they gave. Members of system:masters are allowed before any of them is
 * asked, as upstream's privileged-group authorizer.
 */
import { MASTERS_GROUP } from "../authentication/user-info.js";
import type { Attributes, Authorizer, AuthorizerResult, NonResourceRule, ResourceRule, RuleResolver } from "./authorizer.js";
import type { UserInfo } from "../authentication/user-info.js";

export class UnionAuthorizer implements Authorizer, RuleResolver {
  constructor(private readonly authorizers: (Authorizer & Partial<RuleResolver>)[]) {}

  authorize(attrs: Attributes): AuthorizerResult {
    if (attrs.user.groups.includes(MASTERS_GROUP)) return { decision: "Allow", reason: "" };
    const reasons: string[] = [];
    for (const a of this.authorizers) {
      const r = a.authorize(attrs);
      if (r.decision !== "NoOpinion") return r;
      if (r.reason) reasons.push(r.reason);
    }
    return { decision: "NoOpinion", reason: reasons.join("\n") };
  }

  rulesFor(user: UserInfo, namespace: string): ReturnType<RuleResolver["rulesFor"]> {
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    let incomplete = false;
    const errors: string[] = [];
    for (const a of this.authorizers) {
      if (!a.rulesFor) continue;
      const r = a.rulesFor(user, namespace);
      resourceRules.push(...r.resourceRules);
      nonResourceRules.push(...r.nonResourceRules);
      incomplete ||= r.incomplete;
      if (r.evaluationError) errors.push(r.evaluationError);
    }
    return { resourceRules, nonResourceRules, incomplete, evaluationError: errors.length ? errors.join(", ") : undefined };
  }
}
