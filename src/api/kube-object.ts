import type { ObjectMeta } from "kubernetes-types/meta/v1.js";

/**
 * ObjectMeta as the server handles it: kubernetes-types marks the fields the
 * server sets (uid, resourceVersion, generation, creationTimestamp, ...)
 * read-only for clients, but the server is the one that sets them.
 */
export type WritableObjectMeta = Writable<ObjectMeta>;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Any Kubernetes object, of a kind known or not: typed metadata, and the rest
 * (spec, status, data, ...) left unknown for the code that knows the kind to
 * narrow. metadata is set on every stored object.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: WritableObjectMeta;
  [field: string]: unknown;
}

/**
 * A kubernetes-types object as the server, the client and informers carry it:
 * metadata is always set (kubernetes-types marks it optional, as in a request
 * body), and status may be set on a clone (kubernetes-types marks it read-only
 * for clients).
 */
export type Kube<T> = Writable<T> & KubeObject;
