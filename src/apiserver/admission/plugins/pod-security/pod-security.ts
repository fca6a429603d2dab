/**
 * PodSecurity admission (upstream's plugin/pkg/admission/security/podsecurity
 * over k8s.io/pod-security-admission, v1.32): namespaces choose a Pod Security
 * Standards level per mode through their pod-security.kubernetes.io labels.
 *
 * - Pods (and the pod subresources that can change them, e.g.
 *   ephemeralcontainers): enforce refuses with 403, warn adds a warning, audit
 *   adds an audit annotation. Updates that cannot change the verdict pass.
 * - Pod-template kinds (Deployments, Jobs, ...): warn and audit only.
 * - Namespaces: invalid labels are refused (422); tightening enforce dry-runs
 *   the new level against the namespace's pods and returns warnings.
 *
 * Validating phase only: it never changes an object.
 */
import type { Namespace, Pod } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { PodSpec } from "kubernetes-types/core/v1.js";
import { ApiError, invalid, notFound, qualifiedResource } from "../../../../api/errors.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../../admission.js";
import { Evaluator, forbiddenDetail, type AggregateCheckResult } from "./evaluator.js";
import {
  AUDIT_ANNOTATION_PREFIX, AUDIT_VIOLATIONS_ANNOTATION, compareLevels, defaultsToPolicy, ENFORCED_POLICY_ANNOTATION,
  EXEMPTION_REASON_ANNOTATION, type LevelVersion, levelVersionString, type Policy, type PolicyDefaults, policyToEvaluate,
  sameLevelVersion,
} from "./levels.js";
import {
  DEFAULT_NAMESPACE_MAX_PODS_TO_CHECK, DEFAULT_NAMESPACE_POD_CHECK_TIMEOUT_MS, evaluatePodsInNamespace,
} from "./namespace-pods.js";
import { NOOP_RECORDER, type PodSecurityRecorder } from "./metrics.js";
import { extractPodSpec, hasPodSpec } from "./pod-spec-extractor.js";
import { isSignificantPodUpdate } from "./pod-update.js";

export const PLUGIN_NAME = "PodSecurity";

/** Upstream's PodSecurityConfiguration.exemptions: none by default (kube-system is not special). */
export interface PodSecurityExemptions {
  usernames?: string[];
  runtimeClasses?: string[];
  namespaces?: string[];
}

export interface PodSecurityOptions {
  /** The namespace a pod is in; undefined when it does not exist. */
  getNamespace(name: string): Promise<Namespace | undefined>;
  /** The pods of a namespace, for the dry run when its enforce level is tightened. */
  listPods(namespace: string): Promise<Pod[]>;
  /** Policy for namespaces without labels; upstream's default is privileged:latest in every mode. */
  defaults?: PolicyDefaults;
  exemptions?: PodSecurityExemptions;
  /** Upstream's UserNamespacesPodSecurityStandards feature gate (alpha, off in v1.32). */
  relaxPolicyForUserNamespacePods?: boolean;
  /**
   * Receives the request's audit annotations (keys with the
   * "pod-security.kubernetes.io/" prefix: enforce-policy, audit-violations,
   * exempt, error), as upstream's audit.AddAuditAnnotations. Optional: the
   * audit log is built elsewhere.
   */
  recordAuditAnnotations?(attrs: AdmissionAttributes, annotations: Record<string, string>): void;
  /** Upstream's pod_security_* counters (a PodSecurityMetrics); none by default. */
  metrics?: PodSecurityRecorder;
  /** Bounds of the namespace dry run (upstream: 3000 pods, 1 s). */
  namespaceMaxPodsToCheck?: number;
  namespacePodCheckTimeoutMs?: number;
  /** Clock for the dry run's time bound; a seam for tests. */
  now?: () => number;
}

/** What one evaluation decides, as upstream's AdmissionResponse. */
interface Response {
  error?: ApiError;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

const allowed = (auditAnnotations: Record<string, string> = {}): Response => ({ warnings: [], auditAnnotations });

/** Pod subresources that cannot change what PodSecurity checks; any other (ephemeralcontainers, ...) is evaluated. */
const IGNORED_POD_SUBRESOURCES = new Set(["exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"]);

export class PodSecurity implements AdmissionPlugin {
  readonly name = PLUGIN_NAME;
  private readonly defaultPolicy: Policy;
  private readonly evaluator: Evaluator;
  private readonly exemptNamespaces: Set<string>;
  private readonly exemptUsers: Set<string>;
  private readonly exemptRuntimeClasses: Set<string>;
  private readonly metrics: PodSecurityRecorder;

  constructor(private readonly opts: PodSecurityOptions) {
    this.defaultPolicy = defaultsToPolicy(opts.defaults);
    this.evaluator = new Evaluator(undefined, { relaxPolicyForUserNamespacePods: opts.relaxPolicyForUserNamespacePods ?? false });
    this.exemptNamespaces = new Set(opts.exemptions?.namespaces ?? []);
    this.exemptUsers = new Set(opts.exemptions?.usernames ?? []);
    this.exemptRuntimeClasses = new Set(opts.exemptions?.runtimeClasses ?? []);
    this.metrics = opts.metrics ?? NOOP_RECORDER;
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== "CREATE" && attrs.operation !== "UPDATE") return;
    const { group, resource } = attrs.info;
    let response: Response;
    if (group === "" && resource === "namespaces") response = await this.validateNamespace(attrs);
    else if (group === "" && resource === "pods") response = await this.validatePod(attrs);
    else if (hasPodSpec(group, resource)) response = await this.validatePodController(attrs);
    else return;

    for (const w of response.warnings) attrs.addWarning(w);
    const entries = Object.entries(response.auditAnnotations);
    if (entries.length && this.opts.recordAuditAnnotations) {
      this.opts.recordAuditAnnotations(attrs, Object.fromEntries(entries.map(([k, v]) => [AUDIT_ANNOTATION_PREFIX + k, v])));
    }
    if (response.error) throw response.error;
  }

  private async validateNamespace(attrs: AdmissionAttributes): Promise<Response> {
    if (attrs.subresource !== "") return allowed();
    const namespace = attrs.object as Namespace;
    const name = namespace.metadata?.name ?? attrs.name;
    const { policy: newPolicy, errors: newErrors } = policyToEvaluate(namespace.metadata?.labels, this.defaultPolicy);
    if (attrs.operation === "CREATE") {
      return newErrors.length ? { ...allowed(), error: invalid("Namespace", "", name, newErrors) } : allowed();
    }
    const oldNamespace = (attrs.oldObject ?? {}) as Namespace;
    const { policy: oldPolicy, errors: oldErrors } = policyToEvaluate(oldNamespace.metadata?.labels, this.defaultPolicy);
    // Labels that were already invalid do not block unrelated updates of the namespace.
    if (newErrors.length && (!oldErrors.length || JSON.stringify(newErrors) !== JSON.stringify(oldErrors))) {
      return { ...allowed(), error: invalid("Namespace", "", name, newErrors) };
    }
    // Dry-run only when enforce got stricter: not when unchanged, privileged, or relaxed at the same version.
    if (sameLevelVersion(newPolicy.enforce, oldPolicy.enforce)) return allowed();
    if (newPolicy.enforce.level === "privileged") return allowed();
    if (newPolicy.enforce.version === oldPolicy.enforce.version && compareLevels(newPolicy.enforce.level, oldPolicy.enforce.level) < 1) {
      return allowed();
    }
    if (this.exemptNamespace(attrs.namespace || name)) return allowed({ [EXEMPTION_REASON_ANNOTATION]: "namespace" });
    const warnings = await evaluatePodsInNamespace({
      evaluator: this.evaluator,
      listPods: (ns) => this.opts.listPods(ns),
      exemptRuntimeClass: (rc) => this.exemptRuntimeClass(rc),
      maxPods: this.opts.namespaceMaxPodsToCheck ?? DEFAULT_NAMESPACE_MAX_PODS_TO_CHECK,
      timeoutMs: this.opts.namespacePodCheckTimeoutMs ?? DEFAULT_NAMESPACE_POD_CHECK_TIMEOUT_MS,
      now: this.opts.now ?? Date.now,
    }, name, newPolicy.enforce);
    return { warnings, auditAnnotations: {} };
  }

  private async validatePod(attrs: AdmissionAttributes): Promise<Response> {
    if (IGNORED_POD_SUBRESOURCES.has(attrs.subresource)) return allowed();
    const exemption = this.exemption(attrs);
    if (exemption) return exemption;

    let namespace: Namespace | undefined;
    try {
      namespace = await this.opts.getNamespace(attrs.namespace);
    } catch (err) {
      this.metrics.recordError(true, attrs);
      const e = new ApiError(500, "InternalError", `Internal error occurred: failed to lookup namespace ${attrs.namespace}`);
      return { ...allowed({ error: `${e.message}: ${err instanceof Error ? err.message : String(err)}` }), error: e };
    }
    // Upstream would answer 500 here; NamespaceLifecycle refuses such a pod first, with this 404.
    if (!namespace) {
      this.metrics.recordError(true, attrs);
      return { ...allowed(), error: notFound("namespaces", "", attrs.namespace) };
    }
    const { policy, errors } = policyToEvaluate(namespace.metadata?.labels, this.defaultPolicy);
    if (!errors.length && policy.enforce.level === "privileged" && policy.warn.level === "privileged" && policy.audit.level === "privileged") {
      this.metrics.recordEvaluation("allow", policy.enforce, "enforce", attrs);
      return allowed({ [ENFORCED_POLICY_ANNOTATION]: levelVersionString({ level: "privileged", version: "latest" }) });
    }

    const pod = attrs.object as Pod;
    if (attrs.operation === "UPDATE" && attrs.oldObject && !isSignificantPodUpdate(pod, attrs.oldObject as Pod)) return allowed();
    return this.evaluatePod(attrs, policy, errors.length ? policyErrorText(errors) : undefined, pod.metadata ?? {}, pod.spec ?? { containers: [] }, true);
  }

  private async validatePodController(attrs: AdmissionAttributes): Promise<Response> {
    if (attrs.subresource !== "") return allowed();
    const exemption = this.exemption(attrs);
    if (exemption) return exemption;

    // Templates are never refused, so a failed lookup only leaves a trace in the audit log.
    let namespace: Namespace | undefined;
    try {
      namespace = await this.opts.getNamespace(attrs.namespace);
    } catch (err) {
      this.metrics.recordError(true, attrs);
      return allowed({ error: `failed to lookup namespace ${attrs.namespace}: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (!namespace) {
      this.metrics.recordError(true, attrs);
      return allowed({ error: `failed to lookup namespace ${attrs.namespace}: namespaces "${attrs.namespace}" not found` });
    }
    const { policy, errors } = policyToEvaluate(namespace.metadata?.labels, this.defaultPolicy);
    if (!errors.length && policy.warn.level === "privileged" && policy.audit.level === "privileged") return allowed();

    const extracted = extractPodSpec(attrs.info.group, attrs.info.resource, attrs.object);
    if (!extracted) return allowed();
    return this.evaluatePod(attrs, policy, errors.length ? policyErrorText(errors) : undefined, extracted.meta, extracted.spec, false);
  }

  /** Upstream's EvaluatePod: enforce (pods only), then audit, then warn (unless refused), reusing equal evaluations. */
  private evaluatePod(attrs: AdmissionAttributes, policy: Policy, policyError: string | undefined, meta: ObjectMeta, spec: PodSpec, enforce: boolean): Response {
    if (this.exemptRuntimeClass(spec.runtimeClassName)) {
      this.metrics.recordExemption(attrs);
      return allowed({ [EXEMPTION_REASON_ANNOTATION]: "runtimeClass" });
    }
    const response = allowed();
    if (policyError) {
      response.auditAnnotations.error = `Failed to parse policy: ${policyError}`;
      this.metrics.recordError(false, attrs);
    }

    const cache = new Map<string, AggregateCheckResult>();
    const evaluate = (lv: LevelVersion) => {
      const key = levelVersionString(lv);
      let r = cache.get(key);
      if (!r) cache.set(key, (r = this.evaluator.evaluate(lv, meta, spec)));
      return r;
    };

    if (enforce) {
      response.auditAnnotations[ENFORCED_POLICY_ANNOTATION] = levelVersionString(policy.enforce);
      const r = evaluate(policy.enforce);
      if (!r.allowed) response.error = forbiddenError(attrs, `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenDetail(r)}`);
      this.metrics.recordEvaluation(r.allowed ? "allow" : "deny", policy.enforce, "enforce", attrs);
    }
    const audit = evaluate(policy.audit);
    if (!audit.allowed) {
      response.auditAnnotations[AUDIT_VIOLATIONS_ANNOTATION] = `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.audit))}: ${forbiddenDetail(audit)}`;
      this.metrics.recordEvaluation("deny", policy.audit, "audit", attrs);
    }
    // A request that is refused gets the error, not warnings as well.
    if (!response.error) {
      const warn = evaluate(policy.warn);
      if (!warn.allowed) {
        response.warnings.push(`would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${forbiddenDetail(warn)}`);
        this.metrics.recordEvaluation("deny", policy.warn, "warn", attrs);
      }
    }
    return response;
  }

  /** A namespace or user exemption, as upstream checks them before reading the namespace. */
  private exemption(attrs: AdmissionAttributes): Response | undefined {
    const reason = this.exemptNamespace(attrs.namespace) ? "namespace" : this.exemptUser(attrs.user.username) ? "user" : undefined;
    if (!reason) return undefined;
    this.metrics.recordExemption(attrs);
    return allowed({ [EXEMPTION_REASON_ANNOTATION]: reason });
  }

  private exemptNamespace(ns: string): boolean {
    return ns !== "" && this.exemptNamespaces.has(ns);
  }

  private exemptUser(username: string): boolean {
    return username !== "" && this.exemptUsers.has(username);
  }

  private exemptRuntimeClass(rc: string | undefined): boolean {
    return !!rc && this.exemptRuntimeClasses.has(rc);
  }
}

/** Go's aggregate of field errors, as upstream's "Failed to parse policy: ..." audit annotation prints it. */
function policyErrorText(errors: { field: string; value?: unknown; detail?: string }[]): string {
  const texts = errors.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`);
  return texts.length === 1 ? texts[0] : `[${texts.join(", ")}]`;
}

/** Upstream's apierrors.NewForbidden for the request's resource; the name is the generated one when generateName was used. */
function forbiddenError(attrs: AdmissionAttributes, why: string): ApiError {
  const { group, resource } = attrs.info;
  const name = attrs.name || (attrs.object.metadata?.name as string | undefined) || "";
  const what = qualifiedResource(resource, group);
  const message = name ? `${what} ${JSON.stringify(name)} is forbidden: ${why}` : `${what} is forbidden: ${why}`;
  return new ApiError(403, "Forbidden", message, { name: name || undefined, group, kind: resource });
}
