/**
 * Admission as upstream's admission.Interface: an ordered chain of plugins,
 * each with upstream's name. Mutating plugins run before schema and strategy
 * validation and may change the object; validating plugins run after it and
 * may only refuse. A plugin refuses by throwing an ApiError (403 Forbidden or
 * 422 Invalid, as upstream's plugin does).
 */
import type { KubeObject } from "../../api/kube-object.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { ReinvocationContext } from "./reinvocation.js";

/** Admission sees every kind; plugins narrow to kubernetes-types types. */
export type AdmissionObject = KubeObject;

/** A write's CreateOptions, UpdateOptions or DeleteOptions (meta.k8s.io/v1), as an AdmissionReview carries them. */
export interface AdmissionOptions {
  kind: "CreateOptions" | "UpdateOptions" | "DeleteOptions";
  apiVersion: "meta.k8s.io/v1";
  dryRun?: string[];
  fieldManager?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionAttributes {
  info: ResourceInfo;
  operation: Operation;
  /** The object being written (mutating plugins may change it); the object being deleted on DELETE. */
  object: AdmissionObject;
  /** The stored object, on UPDATE and DELETE. */
  oldObject?: AdmissionObject;
  namespace: string;
  name: string;
  /** "" for the main resource; "status", "binding", "eviction", "token", "approval", ... */
  subresource: string;
  user: UserInfo;
  dryRun: boolean;
  /** The request's options, as an AdmissionReview carries them. */
  options?: AdmissionOptions;
  /** Adds a warning the client is shown (a `Warning: 299` header), as upstream's warning.AddWarning. */
  addWarning(text: string): void;
  /** Adds an annotation to the request's audit event (PodSecurity's audit level writes there). */
  addAuditAnnotation?(key: string, value: string): void;
  /** The request's two rounds of mutating admission; the chain sets it when it runs the mutating steps. */
  reinvocation?: ReinvocationContext;
}

export interface AdmissionPlugin {
  /** Upstream's plugin name, e.g. "NamespaceLifecycle". */
  readonly name: string;
  /** Mutating phase: may change attrs.object. */
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  /** Validating phase: may only refuse. */
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}
