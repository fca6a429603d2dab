export { PodSecurity, PLUGIN_NAME, type PodSecurityOptions, type PodSecurityExemptions } from "./pod-security.js";
export { Evaluator, aggregateCheckResults, forbiddenDetail, forbiddenReason } from "./evaluator.js";
export type { Level, LevelVersion, Policy, PolicyDefaults, Version } from "./levels.js";
export { PodSecurityMetrics, type PodSecurityRecorder } from "./metrics.js";
