export {
  ensurePki, adminKubeconfig, selfSignedCertificate, joinToken, caFingerprint, parseJoinToken,
  kubeletServingRequest, describeRequest, type Pki,
} from "./pki.js";
export { issueClientCertificate } from "./client-certificate.js";
