export { Client, type KubeObject, type KubeList, type ResourceRef, type WatchEventOf, type ListParams } from "./client.js";
export { Informer, type InformerHandlers } from "./informer.js";
export { loadKubeconfig, type ClientConfig } from "./kubeconfig.js";
