/**
 * serviceaccounts/token (upstream's TokenREST.Create): a TokenRequest in, the
 * same TokenRequest out with status.token, a bound JWT signed with the
 * service-account key. Nothing is stored; the token lives as long as its
 * exp and the objects it is bound to (see service-account-token.ts).
 */
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";
import type { Node, Pod, Secret } from "kubernetes-types/core/v1.js";
import { ApiError, badRequest, invalid, notFound, type FieldError } from "../../../../api/errors.js";
import { rfc3339 } from "../../../../api/time.js";
import {
  boundClaims, signServiceAccountToken, type ServiceAccountKey, EXPIRATION_EXTENSION_SECONDS, SERVICE_ACCOUNT_ISSUER, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
} from "../../../../pki/index.js";
import type { ServiceAccountTokenGetters } from "../../../authentication/service-account-token.js";
import type { UserInfo } from "../../../authentication/user-info.js";

/** Upstream's MinTokenAgeSec. */
const MIN_EXPIRATION_SECONDS = 10 * 60;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export interface TokenRequestOptions extends ServiceAccountTokenGetters {
  key: ServiceAccountKey;
  issuer?: string;
  /** The API's audiences (--api-audiences): the default of spec.audiences. */
  apiAudiences?: string[];
  /** Upstream's --service-account-max-token-expiration; unset or 0: no maximum. */
  maxExpirationSeconds?: number;
  /** Upstream's --service-account-extend-token-expiration (default true): the kubelet's 3607 s pod tokens really live a year and warn after 3607 s. */
  extendExpiration?: boolean;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Shows the client a warning (a shortened expiration). */
  addWarning?: (text: string) => void;
}

export interface TokenRequestCall {
  namespace: string;
  /** The ServiceAccount's name, from the URL. */
  name: string;
  /** The decoded request body. */
  body: unknown;
  /** The requester. Upstream's REST handler does not use it; NodeRestriction (admission) limits what nodes may ask for. */
  user?: UserInfo;
  /**
   * The admission chain on this create of serviceaccounts/token: "admit"
   * with the decoded request (mutating plugins may change it), "validate"
   * once it passed static validation, as upstream's handler and
   * createValidation run them.
   */
  admission?: (phase: "admit" | "validate", tokenRequest: TokenRequest) => Promise<void>;
}

const gvk = { group: "authentication.k8s.io", kind: "TokenRequest" };

export async function createTokenRequest(options: TokenRequestOptions, call: TokenRequestCall): Promise<TokenRequest> {
  const { namespace, name } = call;
  const req = decodeTokenRequest(call.body);
  if (req.spec?.expirationSeconds === undefined || req.spec?.expirationSeconds === null) req.spec = { ...req.spec, expirationSeconds: 3600 };
  await call.admission?.("admit", req);
  const issuer = options.issuer ?? SERVICE_ACCOUNT_ISSUER;
  const apiAudiences = options.apiAudiences?.length ? options.apiAudiences : [issuer];
  const meta = req.metadata ?? {};

  // Name and namespace in the body must match the URL when given.
  if (meta.name && meta.name !== name) {
    throw invalid(gvk.kind, gvk.group, name, [{ type: "FieldValueInvalid", field: "metadata.name", value: meta.name, detail: "must match the service account name if specified" }]);
  }
  if (meta.namespace && meta.namespace !== namespace) {
    throw invalid(gvk.kind, gvk.group, name, [{ type: "FieldValueInvalid", field: "metadata.namespace", value: meta.namespace, detail: "must match the service account namespace if specified" }]);
  }
  const sa = await options.getServiceAccount(namespace, name);
  if (!sa) throw notFound("serviceaccounts", "", name);

  const spec = { ...req.spec, audiences: req.spec?.audiences?.length ? req.spec.audiences : apiAudiences, expirationSeconds: req.spec?.expirationSeconds ?? 3600 };
  // The token's exp is never earlier than the expirationTimestamp reported.
  const nowMs = options.now?.() ?? Date.now();
  const out: TokenRequest = {
    kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1",
    metadata: { ...meta, name: meta.name || name, namespace: meta.namespace || namespace, creationTimestamp: rfc3339(nowMs) },
    spec,
  };

  const errors: FieldError[] = [];
  if (spec.expirationSeconds < MIN_EXPIRATION_SECONDS) errors.push({ type: "FieldValueInvalid", field: "spec.expirationSeconds", value: spec.expirationSeconds, detail: "may not specify a duration less than 10 minutes" });
  if (spec.expirationSeconds > MAX_EXPIRATION_SECONDS) errors.push({ type: "FieldValueInvalid", field: "spec.expirationSeconds", value: spec.expirationSeconds, detail: "may not specify a duration larger than 2^32 seconds" });
  // Upstream names no object in this error: TokenRequest.authentication.k8s.io "" is invalid.
  if (errors.length) throw invalid(gvk.kind, gvk.group, "", errors);
  await call.admission?.("validate", structuredClone(out));

  let pod: Pod | undefined;
  let secret: Secret | undefined;
  let node: Node | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const group = (ref.apiVersion ?? "").includes("/") ? ref.apiVersion!.split("/")[0]! : "";
    const refName = ref.name ?? "";
    let uid: string | undefined;
    if (group === "" && ref.kind === "Pod") {
      pod = await options.getPod(namespace, refName);
      if (!pod) throw notFound("pods", "", refName);
      if (name !== pod.spec?.serviceAccountName) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = pod.metadata?.uid;
      const nodeName = pod.spec?.nodeName;
      // The pod's node goes into the claims; a node not (or no longer) stored still gives its name.
      if (nodeName) node = (await options.getNode(nodeName)) ?? { metadata: { name: nodeName } };
    } else if (group === "" && ref.kind === "Node") {
      node = await options.getNode(refName);
      if (!node) throw notFound("nodes", "", refName);
      uid = node.metadata?.uid;
    } else if (group === "" && ref.kind === "Secret") {
      secret = await options.getSecret(namespace, refName);
      if (!secret) throw notFound("secrets", "", refName);
      uid = secret.metadata?.uid;
    } else {
      throw badRequest(`cannot bind token to object of type ${goGroupVersionKind(ref.apiVersion ?? "", ref.kind ?? "")}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw new ApiError(409, "Conflict",
        `Operation cannot be fulfilled on ${group ? `${ref.kind}.${group}` : ref.kind} "${refName}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        { name: refName, group, kind: ref.kind });
    }
  }

  const max = options.maxExpirationSeconds ?? 0;
  if (max > 0 && spec.expirationSeconds > max) {
    options.addWarning?.(`requested expiration of ${spec.expirationSeconds} seconds shortened to ${max} seconds`);
    spec.expirationSeconds = max;
  }

  // The safe rollout of bound tokens: a pod's 3607 s token for this API is only
  // reported after 3607 s and refused after a year (or the maximum, if longer).
  let exp = spec.expirationSeconds;
  let warnAfter = 0;
  const forThisApi = spec.audiences.every((a) => apiAudiences.includes(a));
  if ((options.extendExpiration ?? true) && pod && spec.expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && forThisApi) {
    warnAfter = exp;
    exp = Math.max(max, EXPIRATION_EXTENSION_SECONDS);
  }

  const claims = boundClaims({ serviceAccount: sa, pod, secret, node, expirationSeconds: exp, warnAfterSeconds: warnAfter, audiences: spec.audiences, issuer, now: nowMs });
  const token = await signServiceAccountToken(options.key, claims);
  out.status = { token, expirationTimestamp: rfc3339(nowMs + spec.expirationSeconds * 1000) };
  return out;
}

/** The body as a TokenRequest, refusing what upstream's decoder refuses. */
function decodeTokenRequest(body: unknown): TokenRequest {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("the body of the request was not a JSON object");
  const req = body as TokenRequest;
  if (req.kind !== undefined && req.kind !== "TokenRequest") {
    throw badRequest(`the object provided is unrecognized (must be of type TokenRequest): ${req.kind} is not TokenRequest`);
  }
  const exp = req.spec?.expirationSeconds;
  if (exp !== undefined && exp !== null && !Number.isInteger(exp)) {
    throw badRequest(`json: cannot unmarshal ${typeof exp} into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64`);
  }
  const auds = req.spec?.audiences;
  if (auds !== undefined && auds !== null && (!Array.isArray(auds) || auds.some((a) => typeof a !== "string"))) {
    throw badRequest("json: cannot unmarshal into Go struct field TokenRequestSpec.spec.audiences of type []string");
  }
  return req;
}

/** Go's schema.GroupVersionKind.String(): "group/version, Kind=kind". */
function goGroupVersionKind(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return `${group}/${version}, Kind=${kind}`;
}
