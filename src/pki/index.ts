export {
  ensurePki, adminKubeconfig, selfSignedCertificate, joinToken, caFingerprint, parseJoinToken,
  kubeletServingRequest, describeRequest, KUBELET_CLIENT_USER, type Pki,
} from "./pki.js";
export { issueClientCertificate, clientCertificateRequest, kubeletClientRequest } from "./client-certificate.js";
export { NODE_COMPONENT_USERS, isNodeComponentUser, type NodeComponent } from "./node-components.js";
export {
  BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_TOKEN_SECRET_PREFIX, BOOTSTRAP_USER_PREFIX, BOOTSTRAP_GROUP_PATTERN,
  generateBootstrapToken, parseBootstrapToken, bootstrapTokenSecret, bootstrapTokenExpiration, secretValue, randomTokenChars,
  type BootstrapToken, type BootstrapTokenOptions,
} from "./bootstrap-token.js";
export {
  ensureServiceAccountKey, serviceAccountKeyFromPem, keyIdFromPublicKey, SERVICE_ACCOUNT_KEY_FILE, type ServiceAccountKey,
} from "./service-account-key.js";
export {
  boundClaims, legacyClaims, signServiceAccountToken, serviceAccountUsername,
  SERVICE_ACCOUNT_ISSUER, LEGACY_ISSUER, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, EXPIRATION_EXTENSION_SECONDS,
  type BoundTokenClaims, type BoundPrivateClaims, type LegacyTokenClaims, type BoundClaimsInput, type ObjectRef,
} from "./service-account-claims.js";
export { readServerBootstrap, writeServerBootstrap, keptCaFingerprint, type ServerBootstrapData } from "./server-bootstrap.js";
