/**
 * What a Pod Security check is (upstream's policy.Check): an id, the level it
 * belongs to, and one implementation per policy version it changed in. Plus
 * the small helpers every check's messages share, so that the wording is
 * upstream's to the letter ("container" or "containers", quoted lists).
 */
import type { Container, PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";

export interface CheckResult {
  allowed: boolean;
  /** Short, always shown: "host namespaces", "runAsNonRoot != true". */
  forbiddenReason?: string;
  /** Optional specifics, shown in parentheses after the reason for a single object. */
  forbiddenDetail?: string;
}

export interface CheckOptions {
  /**
   * Upstream's RelaxPolicyForUserNamespacePods (the UserNamespacesPodSecurityStandards
   * feature gate, off by default in v1.32): pods with hostUsers=false pass the
   * runAsNonRoot, runAsUser and procMount checks.
   */
  relaxPolicyForUserNamespacePods: boolean;
}

export type CheckPodFn = (meta: ObjectMeta, spec: PodSpec, opts: CheckOptions) => CheckResult;

export interface VersionedCheck {
  /** The first v1.<minor> this implementation applies to. */
  minimumVersion: number;
  checkPod: CheckPodFn;
  /** Baseline checks this restricted check replaces at restricted level (upstream's OverrideCheckIDs). */
  overrideCheckIDs?: string[];
}

export interface Check {
  id: string;
  level: "baseline" | "restricted";
  /** Strictly increasing minimumVersion. */
  versions: VersionedCheck[];
}

export const ALLOWED: CheckResult = { allowed: true };

export function forbidden(reason: string, detail?: string): CheckResult {
  return { allowed: false, forbiddenReason: reason, forbiddenDetail: detail };
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `"a", "b"`, as upstream's joinQuote (Go's %q of plain strings). */
export function joinQuote(items: readonly string[]): string {
  return items.map(quote).join(", ");
}

/** Go's %q for a string: JSON's escaping matches it for the characters names and values hold. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Sorted, de-duplicated, as upstream's sets.String.List() (byte order). */
export function sortedSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `containers "a", "b"` or `container "a"`. */
export function containersPhrase(names: readonly string[]): string {
  return `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
}

/** Every container of the pod: init, regular, then ephemeral, as upstream's visitContainers. */
export function visitContainers(spec: PodSpec, visit: (c: Container) => void): void {
  for (const c of spec.initContainers ?? []) visit(c);
  for (const c of spec.containers ?? []) visit(c);
  // An ephemeral container's fields are a subset of a container's; the checks read only shared ones.
  for (const c of spec.ephemeralContainers ?? []) visit(c as Container);
}

export function isWindowsPod(spec: PodSpec): boolean {
  return spec.os?.name === "windows";
}

export function relaxForUserNamespacePod(spec: PodSpec, opts: CheckOptions): boolean {
  return opts.relaxPolicyForUserNamespacePods && spec.hostUsers === false;
}
