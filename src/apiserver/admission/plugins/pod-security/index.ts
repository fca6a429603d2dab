/**
 * PodSecurity admission (validating phase). In upstream's plugin order it
 * follows ServiceAccount, NodeRestriction, TaintNodesByCondition,
 * AlwaysPullImages and ImagePolicyWebhook, and precedes PodNodeSelector,
 * Priority, DefaultTolerationSeconds, ... (pkg/kubeapiserver/options/plugins.go).
 * It is on by default upstream. Construct it with the namespace getter and pod
 * lister the server already has:
 *
 *   new PodSecurity({
 *     getNamespace: async (name) => { try { return await objects.get(nsInfo, undefined, name) as Namespace; } catch (e) { if (isNotFound(e)) return undefined; throw e; } },
 *     listPods: async (ns) => (await objects.list(podsInfo, ns)).items as Pod[],
 *     recordAuditAnnotations: (attrs, annotations) => ...,  // optional: the audit log
 *     metrics: podSecurityMetrics,                          // optional: a PodSecurityMetrics rendered on /metrics
 *   })
 */
export { PodSecurity, PLUGIN_NAME, type PodSecurityOptions, type PodSecurityExemptions } from "./pod-security.js";
export { Evaluator, aggregateCheckResults, forbiddenDetail, forbiddenReason } from "./evaluator.js";
export type { Level, LevelVersion, Policy, PolicyDefaults, Version } from "./levels.js";
export { PodSecurityMetrics, type PodSecurityRecorder } from "./metrics.js";
