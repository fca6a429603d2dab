export { ApiServer, VERSION_INFO, type ApiServerOptions, type UserInfo } from "./server.js";
export { ensurePki, adminKubeconfig, selfSignedCertificate, type Pki } from "../pki/index.js";
