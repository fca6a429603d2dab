export { RbacAuthorization, type RbacAuthorizationOptions } from "./rbac-authorization.js";
export { RbacAuthorizer, type RbacAuthorizerOptions, type Grant } from "./rbac-authorizer.js";
export { RbacCache, type RbacCacheOptions } from "./rbac-cache.js";
export { InMemoryPolicy, type PolicySource } from "./policy-source.js";
export { forbidden, forbiddenMessage, forbiddenError } from "../forbidden.js";
export { confirmRoleWrite, confirmBindingWrite, confirmCanBind, confirmNoEscalation, escalationAllowed, type EscalationResolver, type RoleWrite, type BindingWrite } from "./escalation.js";
export { BootstrapReconciler, defaultBootstrapPolicy, type BootstrapPolicy, type ReconcileSummary } from "./bootstrap-reconciler.js";
export { AUTOUPDATE_ANNOTATION, BOOTSTRAPPING_LABEL, SKIFF_CONTROLLER_USER } from "./bootstrap-policy.js";
export { ruleAllows, rulesAllow, covers } from "./rule-matching.js";
