/**
 * The kube-system/extension-apiserver-authentication ConfigMap, as
 * kube-apiserver publishes it on start: the CA of client certificates, and
 * how an extension API server trusts the aggregator's proxied requests (the
 * front-proxy CA, the one name its client certificate may have, the
 * identity headers). Extension servers read it (RBAC: the
 * extension-apiserver-authentication-reader Role) to authenticate requests.
 */
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import type { Pki } from "../../pki/index.js";

export const EXTENSION_AUTHENTICATION_CONFIGMAP = "extension-apiserver-authentication";

export function extensionAuthenticationData(pki: Pick<Pki, "caCert" | "frontProxyCaCert">): Record<string, string> {
  return {
    "client-ca-file": pki.caCert,
    "requestheader-allowed-names": JSON.stringify(["front-proxy-client"]),
    "requestheader-client-ca-file": pki.frontProxyCaCert,
    "requestheader-extra-headers-prefix": JSON.stringify(["X-Remote-Extra-"]),
    "requestheader-group-headers": JSON.stringify(["X-Remote-Group"]),
    "requestheader-username-headers": JSON.stringify(["X-Remote-User"]),
  };
}

export function extensionAuthenticationConfigMap(pki: Pick<Pki, "caCert" | "frontProxyCaCert">): ConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: EXTENSION_AUTHENTICATION_CONFIGMAP, namespace: "kube-system" }, data: extensionAuthenticationData(pki) };
}
