export {
  ensurePki, adminKubeconfig, selfSignedCertificate, joinToken, caFingerprint, parseJoinToken,
  kubeletServingRequest, describeRequest, type Pki,
} from "./pki.js";
export { issueClientCertificate, clientCertificateRequest, kubeletClientRequest } from "./client-certificate.js";
export {
  BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_TOKEN_SECRET_PREFIX, BOOTSTRAP_USER_PREFIX, BOOTSTRAP_GROUP_PATTERN,
  generateBootstrapToken, parseBootstrapToken, bootstrapTokenSecret, bootstrapTokenExpiration, secretValue, randomTokenChars,
  type BootstrapToken, type BootstrapTokenOptions,
} from "./bootstrap-token.js";
