export { Client, type KubeObject, type KubeList, type ResourceRef, type WatchEventOf, type ListParams } from "./client.js";
export { Informer, type InformerHandlers } from "./informer.js";
export { loadKubeconfig, type ClientConfig } from "./kubeconfig.js";
export { WorkQueue, runWorkers } from "./workqueue.js";
export { InformerFactory } from "./informer-factory.js";
export { EventRecorder } from "./event-recorder.js";
export { Resources } from "./resources.js";
export { LeaderElector, type LeaderElectionOptions } from "./leader-election.js";
export { discoverResources, type DiscoveredResource } from "./discovery.js";
