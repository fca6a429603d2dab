/**
 * Subresources served by handlers of their own (scale, binding, eviction,
 * token, log...), as upstream's REST storages beside a resource's main one.
 * A strategy names them (Strategy.subresources); the resource handler calls
 * them with the request and what the server provides. Subresources that
 * only write part of the object (status, finalize, approval) need no
 * handler: see Strategy.subresourceUpdates.
 */
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { Request, Response } from "../http.js";
import type { KubeletProxy } from "../kubelet-proxy.js";
import type { TokenRequestCall } from "./core/serviceaccounts/token-request.js";
import type { Obj, ObjectStore, WriteOptions } from "./object-store.js";

/** One request to a subresource. */
export interface SubresourceCall {
  req: Request;
  res: Response;
  info: ResourceInfo;
  namespace?: string;
  /** The parent object's name. */
  name: string;
  subresource: string;
  query: URLSearchParams;
  user: UserInfo;
  /** Warnings for the client, sent as `Warning: 299` headers (sendWarnings). */
  warnings: string[];
  /** The request's options for the writes it makes (dryRun, fieldManager, user, warnings, audit); a bad dryRun is a 400. */
  writeOptions(): WriteOptions;
  /** The body as an object (JSON, YAML or protobuf), recorded for audit. */
  readObject(): Promise<Obj>;
}

/** What the server lends subresource handlers. */
export interface SubresourceServices {
  objects: ObjectStore;
  /** A served resource by group, version and plural (the PodDisruptionBudgets an eviction spends). */
  resource(group: string, version: string, resource: string): ResourceInfo | undefined;
  /** The kubelets, for logs. */
  kubelets?: KubeletProxy;
  /** Issues a TokenRequest (see core/serviceaccounts/token-request.ts). */
  tokenRequests?(call: TokenRequestCall, addWarning: (text: string) => void): Promise<TokenRequest>;
}

/** Serves one request to a subresource: checks its method, acts, and sends the answer (or throws an ApiError). */
export type SubresourceHandler = (call: SubresourceCall, services: SubresourceServices) => Promise<void>;
