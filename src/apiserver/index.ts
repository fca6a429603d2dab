export { ApiServer, VERSION_INFO, type ApiServerOptions, type UserInfo } from "./server.js";
export { ensurePki, adminKubeconfig, type Pki } from "./pki.js";
