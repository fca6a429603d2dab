/**
 * What a service-account JWT says, and its signing: upstream's
 * pkg/serviceaccount claims (bound tokens, issuer
 * https://kubernetes.default.svc.cluster.local) and legacy claims (Secret
 * tokens, issuer kubernetes/serviceaccount). One place builds and signs them,
 * so TokenRequest, the tokens controller and the tests agree on the wire form.
 */
import { randomUUID } from "node:crypto";
import { CompactSign } from "jose";
import type { Node, Pod, Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import type { ServiceAccountKey } from "./service-account-key.js";
/** Upstream's ServiceAccountUsernamePrefix. */
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

/** The issuer of bound tokens (upstream's --service-account-issuer as kubeadm sets it). */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** The issuer of Secret-based tokens. */
export const LEGACY_ISSUER = "kubernetes/serviceaccount";
/** The expiration the ServiceAccount admission plugin asks for: tokens with it are extended and carry warnafter. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** How long such tokens really live (upstream's ExpirationExtensionSeconds, one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

export interface ObjectRef { name: string; uid: string }

/** The private claims of a bound token, as upstream's privateClaims. */
export interface BoundPrivateClaims {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** NumericDate after which using the token is only reported, until exp. */
  warnafter?: number;
}

export interface BoundTokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  "kubernetes.io": BoundPrivateClaims;
}

export interface LegacyTokenClaims {
  iss: typeof LEGACY_ISSUER;
  sub: string;
  "kubernetes.io/serviceaccount/namespace": string;
  "kubernetes.io/serviceaccount/secret.name": string;
  "kubernetes.io/serviceaccount/service-account.name": string;
  "kubernetes.io/serviceaccount/service-account.uid": string;
}

export const serviceAccountUsername = (namespace: string, name: string) => `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;

export interface BoundClaimsInput {
  serviceAccount: ServiceAccount;
  /** A token bound to a pod also names the pod's node when known (ServiceAccountTokenPodNodeInfo, on in v1.32). */
  pod?: Pod;
  secret?: Secret;
  node?: Node;
  expirationSeconds: number;
  /** Seconds after which use is reported but still allowed (0: none). */
  warnAfterSeconds?: number;
  audiences: string[];
  issuer?: string;
  /** Milliseconds since the epoch. */
  now?: number;
}

const ref = (o: { metadata?: { name?: string; uid?: string } }): ObjectRef => ({ name: o.metadata?.name ?? "", uid: o.metadata?.uid ?? "" });

/** Upstream's Claims(): a token binds to one object kind; a pod-bound token may also carry its node. */
export function boundClaims(input: BoundClaimsInput): BoundTokenClaims {
  const { serviceAccount: sa, pod, secret, node } = input;
  if (secret && (pod || node)) throw new Error("internal error, token can only be bound to one object type");
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const namespace = sa.metadata?.namespace ?? "";
  const k8s: BoundPrivateClaims = { namespace, serviceaccount: ref(sa) };
  if (pod) {
    k8s.pod = ref(pod);
    if (node) k8s.node = ref(node);
  } else if (secret) {
    k8s.secret = ref(secret);
  } else if (node) {
    k8s.node = ref(node);
  }
  if (input.warnAfterSeconds) k8s.warnafter = now + input.warnAfterSeconds;
  // Keys in the order upstream's encoder writes them (alphabetical), so tokens look alike.
  return {
    aud: input.audiences, exp: now + input.expirationSeconds, iat: now,
    iss: input.issuer ?? SERVICE_ACCOUNT_ISSUER, jti: randomUUID(), "kubernetes.io": k8s, nbf: now,
    sub: serviceAccountUsername(namespace, sa.metadata?.name ?? ""),
  };
}

/** The claims of a legacy token stored in a kubernetes.io/service-account-token Secret. */
export function legacyClaims(serviceAccount: ServiceAccount, secret: Secret): LegacyTokenClaims {
  const namespace = serviceAccount.metadata?.namespace ?? "";
  const name = serviceAccount.metadata?.name ?? "";
  return {
    iss: LEGACY_ISSUER,
    "kubernetes.io/serviceaccount/namespace": namespace,
    "kubernetes.io/serviceaccount/secret.name": secret.metadata?.name ?? "",
    "kubernetes.io/serviceaccount/service-account.name": name,
    "kubernetes.io/serviceaccount/service-account.uid": serviceAccount.metadata?.uid ?? "",
    sub: serviceAccountUsername(namespace, name),
  };
}

/** A compact JWS of the claims, header {alg, kid} as upstream's signer writes it. */
export async function signServiceAccountToken(key: ServiceAccountKey, claims: BoundTokenClaims | LegacyTokenClaims): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.algorithm, kid: key.keyId })
    .sign(key.privateKey);
}
