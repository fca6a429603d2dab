/**
 * The token of a projected `serviceAccountToken` source, as upstream's
 * projected volume plugin asks for it: the pod's service account, the
 * source's audience (none: the API server's own), its expirationSeconds
 * (default 3600) and the pod as the bound object, so the token dies with it.
 */
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { ServiceAccountTokenProjection } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import type { TokenSource } from "../volume/volumes.js";
import type { TokenManager } from "./token-manager.js";

export function tokenRequestFor(pod: Pod, source: ServiceAccountTokenProjection): TokenRequest {
  return {
    spec: {
      audiences: source.audience ? [source.audience] : [],
      expirationSeconds: source.expirationSeconds ?? 3600,
      boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name!, uid: String(pod.metadata.uid) },
    },
  };
}

export function serviceAccountTokenSource(tokens: TokenManager): TokenSource {
  return async (pod, source) => {
    const tr = await tokens.getServiceAccountToken(pod.metadata.namespace!, pod.spec.serviceAccountName || "default", tokenRequestFor(pod, source));
    return tr.status!.token;
  };
}
