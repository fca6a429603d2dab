/**
 * Upstream's check registry (policy.NewEvaluator) and AggregateCheckResults:
 * for each level and policy version, the ordered list of check
 * implementations in force, and the aggregated verdict with upstream's
 * message layout ("reason (detail), reason (detail)").
 *
 * Order is baseline ids sorted, then restricted ids sorted, so messages are
 * stable. Versions newer than the newest any check knows, and "latest",
 * evaluate as that newest version.
 */
import type { PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import { BASELINE_CHECKS } from "./baseline-checks.js";
import { byteOrder, type Check, type CheckOptions, type CheckPodFn, type CheckResult, type VersionedCheck } from "./check.js";
import type { LevelVersion } from "./levels.js";
import { RESTRICTED_CHECKS } from "./restricted-checks.js";

export const DEFAULT_CHECKS: readonly Check[] = [...BASELINE_CHECKS, ...RESTRICTED_CHECKS];

export interface AggregateCheckResult {
  allowed: boolean;
  forbiddenReasons: string[];
  forbiddenDetails: string[];
}

const UNKNOWN_FORBIDDEN_REASON = "unknown forbidden reason";

export function aggregateCheckResults(results: readonly CheckResult[]): AggregateCheckResult {
  const forbiddenReasons: string[] = [];
  const forbiddenDetails: string[] = [];
  for (const r of results) {
    if (r.allowed) continue;
    forbiddenReasons.push(r.forbiddenReason || UNKNOWN_FORBIDDEN_REASON);
    forbiddenDetails.push(r.forbiddenDetail ?? "");
  }
  return { allowed: forbiddenReasons.length === 0, forbiddenReasons, forbiddenDetails };
}

/** "host namespaces, privileged": the reasons only, as the namespace dry run prints them per pod. */
export function forbiddenReason(r: AggregateCheckResult): string {
  return r.forbiddenReasons.join(", ");
}

/** "host namespaces (hostNetwork), privileged (container "a" must not set ...)": for one object. */
export function forbiddenDetail(r: AggregateCheckResult): string {
  return r.forbiddenReasons.map((reason, i) => (r.forbiddenDetails[i] ? `${reason} (${r.forbiddenDetails[i]})` : reason)).join(", ");
}

export class Evaluator {
  /** The newest policy version any check has an implementation for. */
  readonly maxVersion: number;
  private readonly baseline = new Map<number, CheckPodFn[]>();
  private readonly restricted = new Map<number, CheckPodFn[]>();

  constructor(checks: readonly Check[] = DEFAULT_CHECKS, private readonly opts: CheckOptions = { relaxPolicyForUserNamespacePods: false }) {
    validateChecks(checks);
    this.maxVersion = Math.max(0, ...checks.map((c) => c.versions[c.versions.length - 1].minimumVersion));
    const ids = (level: Check["level"]) => checks.filter((c) => c.level === level).map((c) => c.id).sort(byteOrder);
    const orderedIDs = [...ids("baseline"), ...ids("restricted")];
    for (let v = 0; v <= this.maxVersion; v++) {
      const baseline = new Map<string, VersionedCheck>();
      const restricted = new Map<string, VersionedCheck>();
      for (const c of checks) {
        const vc = versionAt(c, v);
        if (vc) (c.level === "baseline" ? baseline : restricted).set(c.id, vc);
      }
      const overridden = new Set([...restricted.values()].flatMap((vc) => vc.overrideCheckIDs ?? []));
      for (const [id, vc] of baseline) if (!overridden.has(id)) restricted.set(id, vc);
      const ordered = (m: Map<string, VersionedCheck>) => orderedIDs.filter((id) => m.has(id)).map((id) => m.get(id)!.checkPod);
      this.baseline.set(v, ordered(baseline));
      this.restricted.set(v, ordered(restricted));
    }
  }

  /** Every check's result for the pod at the given level and version; nothing at privileged. */
  evaluatePod(lv: LevelVersion, meta: ObjectMeta, spec: PodSpec): CheckResult[] {
    if (lv.level === "privileged") return [];
    const v = lv.version === "latest" || lv.version > this.maxVersion ? this.maxVersion : lv.version;
    const fns = (lv.level === "baseline" ? this.baseline : this.restricted).get(v) ?? [];
    return fns.map((fn) => fn(meta, spec, this.opts));
  }

  evaluate(lv: LevelVersion, meta: ObjectMeta, spec: PodSpec): AggregateCheckResult {
    return aggregateCheckResults(this.evaluatePod(lv, meta, spec));
  }
}

/** The implementation of a check in force at version v: the newest whose minimumVersion is at most v. */
function versionAt(c: Check, v: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const vc of c.versions) if (vc.minimumVersion <= v) found = vc;
  return found;
}

function validateChecks(checks: readonly Check[]): void {
  const levels = new Map<string, Check["level"]>();
  for (const c of checks) {
    if (levels.has(c.id)) throw new Error(`multiple checks registered for ID ${c.id}`);
    levels.set(c.id, c.level);
    if (!c.versions.length) throw new Error(`check ${c.id}: empty`);
    for (let i = 1; i < c.versions.length; i++) {
      if (c.versions[i].minimumVersion <= c.versions[i - 1].minimumVersion) throw new Error(`check ${c.id}: versions must be strictly increasing`);
    }
  }
  for (const c of checks) {
    for (const vc of c.versions) {
      if (!vc.overrideCheckIDs?.length) continue;
      if (c.level !== "restricted") throw new Error(`check ${c.id}: only restricted checks may set overrides`);
      for (const id of vc.overrideCheckIDs) {
        const level = levels.get(id);
        if (level && level !== "baseline") throw new Error(`check ${c.id}: overrides ${level} check ${id}`);
      }
    }
  }
}
