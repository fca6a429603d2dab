/**
 * What the kubelet needs of a container runtime: CRI's RuntimeService and
 * ImageService, as CriClient speaks them to containerd. The process runtime
 * implements the same surface with host processes, so nothing above this
 * interface knows which runtime it drives.
 */
import type { Readable, Writable } from "node:stream";
import type { CriClient } from "../runtime/cri/cri-client.js";

export type ContainerRuntime = Pick<CriClient,
  | "version" | "runPodSandbox" | "stopPodSandbox" | "removePodSandbox" | "podSandboxStatus" | "listPodSandbox"
  | "createContainer" | "startContainer" | "stopContainer" | "removeContainer" | "listContainers" | "containerStatus"
  | "execSync" | "containerStats" | "listImages" | "imageStatus" | "pullImage"> & {
  /** Short name for node status and logs: "containerd://1.6.20", "process://…". */
  readonly name: string;
  /** Streams an exec session when the runtime can (an upgrade URL on its streaming server); undefined when it cannot. */
  exec?: CriClient["exec"];
  /** Streams the container's own standard streams, likewise. */
  attach?: CriClient["attach"];
  /** Forwards ports from inside a sandbox's network, likewise. */
  portForward?: CriClient["portForward"];
  /** Runs an exec session's command with pipes the kubelet streams itself (runtimes without a streaming server). */
  execStream?(containerId: string, cmd: string[], opts: { stdin: boolean }): Promise<ExecProcess>;
};

/** A command run for an exec session, its standard streams as pipes. */
export interface ExecProcess {
  stdin?: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code; rejects when the command could not start. */
  exited: Promise<number>;
  kill(): void;
}

export type { ContainerConfig, ContainerStatus, PodSandboxConfig, PodSandboxStatus, Mount, PortMapping } from "../runtime/cri/cri-client.js";
