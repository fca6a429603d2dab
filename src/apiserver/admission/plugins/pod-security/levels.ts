/**
 * Pod Security Standards levels and versions, and the namespace labels that
 * choose them (upstream's k8s.io/pod-security-admission/api). A version is a
 * minor of Kubernetes 1 ("v1.25") or "latest"; only major 1 exists, as upstream's
 * label syntax allows no other.
 */
import type { FieldError } from "../../../../api/errors.js";

export type Level = "privileged" | "baseline" | "restricted";
export const LEVELS: readonly Level[] = ["privileged", "baseline", "restricted"];

/** A policy version: the minor of v1.<minor>, or "latest". */
export type Version = number | "latest";

export interface LevelVersion {
  level: Level;
  version: Version;
}

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export const LABEL_PREFIX = "pod-security.kubernetes.io/";
export const ENFORCE_LEVEL_LABEL = LABEL_PREFIX + "enforce";
export const ENFORCE_VERSION_LABEL = LABEL_PREFIX + "enforce-version";
export const AUDIT_LEVEL_LABEL = LABEL_PREFIX + "audit";
export const AUDIT_VERSION_LABEL = LABEL_PREFIX + "audit-version";
export const WARN_LEVEL_LABEL = LABEL_PREFIX + "warn";
export const WARN_VERSION_LABEL = LABEL_PREFIX + "warn-version";

/** Audit annotation keys, as the in-tree plugin records them (prefix + key). */
export const AUDIT_ANNOTATION_PREFIX = LABEL_PREFIX;
export const ENFORCED_POLICY_ANNOTATION = "enforce-policy";
export const AUDIT_VIOLATIONS_ANNOTATION = "audit-violations";
export const EXEMPTION_REASON_ANNOTATION = "exempt";

export function versionString(v: Version): string {
  return v === "latest" ? "latest" : `v1.${v}`;
}

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${versionString(lv.version)}`;
}

export function sameLevelVersion(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && a.version === b.version;
}

/** True when a is older than b; latest is newer than every numbered version. */
export function olderVersion(a: Version, b: Version): boolean {
  if (a === "latest") return false;
  if (b === "latest") return true;
  return a < b;
}

const LEVEL_ERROR = `must be one of ${LEVELS.join(", ")}`;
const VERSION_ERROR = `must be "latest" or "v1.x"`;
const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s);
}

/** Upstream's ParseLevel: an unknown level yields restricted (fail closed) and an error. */
export function parseLevel(s: string): { level: Level; error?: string } {
  return isLevel(s) ? { level: s } : { level: "restricted", error: LEVEL_ERROR };
}

/** Upstream's ParseVersion: an unknown version yields latest and an error. */
export function parseVersion(s: string): { version: Version; error?: string } {
  if (s === "latest") return { version: "latest" };
  const m = VERSION_RE.exec(s);
  if (!m) return { version: "latest", error: VERSION_ERROR };
  const minor = Number(m[1]);
  if (!Number.isSafeInteger(minor)) return { version: "latest", error: VERSION_ERROR };
  return { version: minor };
}

/** Strictness: -1 when a is less strict than b, 0 when equal, 1 when stricter. */
export function compareLevels(a: Level, b: Level): number {
  const rank = (l: Level) => LEVELS.indexOf(l);
  return Math.sign(rank(a) - rank(b));
}

export const DEFAULT_POLICY: Policy = {
  enforce: { level: "privileged", version: "latest" },
  audit: { level: "privileged", version: "latest" },
  warn: { level: "privileged", version: "latest" },
};

/**
 * Upstream's PolicyToEvaluate: the namespace's labels over the defaults. A
 * policy comes back even with errors: a bad enforce level fails closed
 * (restricted), a bad audit or warn level fails open (privileged), a bad
 * version means latest. Errors are in label order, one per bad label.
 */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy): { policy: Policy; errors: FieldError[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  if (!labels) return { policy, errors };
  const fail = (label: string, value: string, detail: string) =>
    errors.push({ type: "FieldValueInvalid", field: `metadata.labels[${label}]`, value, detail });

  const modes: [keyof Policy, string, string, Level | undefined][] = [
    ["enforce", ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, undefined],
    ["audit", AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL, "privileged"],
    ["warn", WARN_LEVEL_LABEL, WARN_VERSION_LABEL, "privileged"],
  ];
  for (const [mode, levelLabel, versionLabel, failOpen] of modes) {
    const level = labels[levelLabel];
    if (level !== undefined) {
      const r = parseLevel(level);
      policy[mode].level = r.error && failOpen ? failOpen : r.level;
      if (r.error) fail(levelLabel, level, r.error);
    }
    const version = labels[versionLabel];
    if (version !== undefined) {
      const r = parseVersion(version);
      policy[mode].version = r.version;
      if (r.error) fail(versionLabel, version, r.error);
    }
  }
  return { policy, errors };
}

/** Upstream's PodSecurityConfiguration.defaults, with its defaulting (privileged, latest). */
export interface PolicyDefaults {
  enforce?: string;
  enforceVersion?: string;
  audit?: string;
  auditVersion?: string;
  warn?: string;
  warnVersion?: string;
}

/** The defaults as a policy; throws on an invalid value, as upstream refuses such a configuration. */
export function defaultsToPolicy(d: PolicyDefaults = {}): Policy {
  const level = (name: string, s: string | undefined): Level => {
    if (s === undefined) return "privileged";
    const r = parseLevel(s);
    if (r.error) throw new Error(`PodSecurity configuration: defaults.${name}: Invalid value: ${JSON.stringify(s)}: ${r.error}`);
    return r.level;
  };
  const version = (name: string, s: string | undefined): Version => {
    if (s === undefined) return "latest";
    const r = parseVersion(s);
    if (r.error) throw new Error(`PodSecurity configuration: defaults.${name}: Invalid value: ${JSON.stringify(s)}: ${r.error}`);
    return r.version;
  };
  return {
    enforce: { level: level("enforce", d.enforce), version: version("enforce-version", d.enforceVersion) },
    audit: { level: level("audit", d.audit), version: version("audit-version", d.auditVersion) },
    warn: { level: level("warn", d.warn), version: version("warn-version", d.warnVersion) },
  };
}
