export {
  ensurePki, adminKubeconfig, selfSignedCertificate, joinToken, caFingerprint, parseJoinToken,
  kubeletServingRequest, describeRequest, type Pki,
} from "./pki.js";
export {
  ensureServiceAccountKey, serviceAccountKeyFromPem, keyIdFromPublicKey, SERVICE_ACCOUNT_KEY_FILE, type ServiceAccountKey,
} from "./service-account-key.js";
