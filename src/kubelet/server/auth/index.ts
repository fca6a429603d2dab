export { KubeletAuth, requestPath, type AuthDecision, type KubeletAuthOptions } from "./kubelet-auth.js";
export { kubeletRequestAttributes } from "./request-attributes.js";
