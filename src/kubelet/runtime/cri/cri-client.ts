/**
 * A typed client for the CRI v1 RuntimeService and ImageService over gRPC on
 * a unix socket. Messages travel as plain objects with camelCase fields,
 * int64s as numbers (nanosecond timestamps fit well within 2^53 until 2255)
 * and enums as their names.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
export type SandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";

export interface Mount { containerPath: string; hostPath: string; readonly?: boolean; propagation?: string }
export interface PortMapping { protocol?: "TCP" | "UDP" | "SCTP"; containerPort: number; hostPort: number; hostIp?: string }
export interface NamespaceOption { network?: "POD" | "CONTAINER" | "NODE" | "TARGET"; pid?: "POD" | "CONTAINER" | "NODE" | "TARGET"; ipc?: "POD" | "CONTAINER" | "NODE" | "TARGET" }

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: { cgroupParent?: string; securityContext?: { namespaceOptions?: NamespaceOption; privileged?: boolean }; sysctls?: Record<string, string> };
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: { cpuPeriod?: number; cpuQuota?: number; cpuShares?: number; memoryLimitInBytes?: number; oomScoreAdj?: number };
    securityContext?: {
      privileged?: boolean; runAsUser?: { value: number }; runAsGroup?: { value: number }; supplementalGroups?: number[]; readonlyRootfs?: boolean;
      capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] }; namespaceOptions?: NamespaceOption; noNewPrivs?: boolean;
    };
  };
}

export interface PodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  state: SandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] } | null;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  image: { image: string };
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: { image: string };
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface Image { id: string; repoTags: string[]; repoDigests: string[]; size: number }
export interface AuthConfig { username?: string; password?: string; auth?: string; serverAddress?: string; identityToken?: string; registryToken?: string }
export interface ContainerStats {
  attributes: { id: string; metadata: { name: string; attempt: number } };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: { value: number } | null; usageNanoCores?: { value: number } | null } | null;
  memory?: { timestamp: number; workingSetBytes?: { value: number } | null; usageBytes?: { value: number } | null; rssBytes?: { value: number } | null } | null;
  /** The container's writable layer: its snapshot's usage (containerd refreshes it every few seconds) on the snapshotter's filesystem. */
  writableLayer?: { timestamp: number; fsId?: { mountpoint: string } | null; usedBytes?: { value: number } | null; inodesUsed?: { value: number } | null } | null;
}

function protoPath(): string {
  // Built code lives in dist/src/...; the .proto stays beside the sources.
  const beside = fileURLToPath(new URL("./api.proto", import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL("../../../../../src/kubelet/runtime/cri/api.proto", import.meta.url));
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type Stub = Record<string, (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<unknown>) => void>;

export class CriClient {
  /** How node status names the runtime, e.g. containerd://1.6.20 (set once its version is known). */
  name = "cri";
  private readonly runtime: Stub;
  private readonly images: Stub;

  constructor(readonly socketPath: string) {
    const definition = protoLoader.loadSync(protoPath(), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } };
    const address = `unix://${socketPath}`;
    const options = { "grpc.max_receive_message_length": 16 * 1024 * 1024 };
    this.runtime = new pkg.runtime.v1.RuntimeService(address, grpc.credentials.createInsecure(), options) as unknown as Stub;
    this.images = new pkg.runtime.v1.ImageService(address, grpc.credentials.createInsecure(), options) as unknown as Stub;
  }

  private call<T>(stub: Stub, method: string, req: unknown, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      stub[method]!.call(stub, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, err));
        else resolve(res as T);
      });
    });
  }

  version() { return this.call<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>(this.runtime, "Version", { version: "v1" }, 5000); }
  status() { return this.call<{ status: { conditions: { type: string; status: boolean; reason: string; message: string }[] } }>(this.runtime, "Status", {}, 5000); }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return (await this.call<{ podSandboxId: string }>(this.runtime, "RunPodSandbox", { config })).podSandboxId;
  }
  async stopPodSandbox(id: string): Promise<void> { await this.call(this.runtime, "StopPodSandbox", { podSandboxId: id }); }
  async removePodSandbox(id: string): Promise<void> { await this.call(this.runtime, "RemovePodSandbox", { podSandboxId: id }); }
  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return (await this.call<{ status: PodSandboxStatus }>(this.runtime, "PodSandboxStatus", { podSandboxId: id })).status;
  }
  async listPodSandbox(labelSelector?: Record<string, string>): Promise<PodSandbox[]> {
    return (await this.call<{ items: PodSandbox[] }>(this.runtime, "ListPodSandbox", { filter: labelSelector ? { labelSelector } : undefined })).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ containerId: string }>(this.runtime, "CreateContainer", { podSandboxId, config, sandboxConfig })).containerId;
  }
  async startContainer(id: string): Promise<void> { await this.call(this.runtime, "StartContainer", { containerId: id }); }
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.call(this.runtime, "StopContainer", { containerId: id, timeout: timeoutSeconds }, (timeoutSeconds + 30) * 1000);
  }
  async removeContainer(id: string): Promise<void> { await this.call(this.runtime, "RemoveContainer", { containerId: id }); }
  async listContainers(filter: { podSandboxId?: string; labelSelector?: Record<string, string> } = {}): Promise<Container[]> {
    return (await this.call<{ containers: Container[] }>(this.runtime, "ListContainers", { filter })).containers;
  }
  async containerStatus(id: string): Promise<ContainerStatus> {
    return (await this.call<{ status: ContainerStatus }>(this.runtime, "ContainerStatus", { containerId: id })).status;
  }
  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    return this.call(this.runtime, "ExecSync", { containerId: id, cmd, timeout: timeoutSeconds }, (timeoutSeconds || 3600) * 1000 + 10_000);
  }
  async exec(id: string, cmd: string[], opts: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    return (await this.call<{ url: string }>(this.runtime, "Exec", { containerId: id, cmd, ...opts })).url;
  }
  async attach(id: string, opts: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    return (await this.call<{ url: string }>(this.runtime, "Attach", { containerId: id, ...opts })).url;
  }
  /** An upgrade URL on the runtime's streaming server for forwarding ports of the sandbox (from inside its network). */
  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    return (await this.call<{ url: string }>(this.runtime, "PortForward", { podSandboxId, port: ports })).url;
  }
  async containerStats(id: string): Promise<ContainerStats> {
    return (await this.call<{ stats: ContainerStats }>(this.runtime, "ContainerStats", { containerId: id })).stats;
  }

  async listImages(): Promise<Image[]> { return (await this.call<{ images: Image[] }>(this.images, "ListImages", {})).images; }
  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image: Image | null }>(this.images, "ImageStatus", { image: { image } });
    return res.image && res.image.id ? res.image : null;
  }
  async pullImage(image: string, auth?: AuthConfig): Promise<string> {
    return (await this.call<{ imageRef: string }>(this.images, "PullImage", { image: { image }, auth }, 600_000)).imageRef;
  }
  async removeImage(image: string): Promise<void> { await this.call(this.images, "RemoveImage", { image: { image } }); }

  close(): void {
    (this.runtime as unknown as grpc.Client).close();
    (this.images as unknown as grpc.Client).close();
  }
}

export class CriError extends Error {
  readonly code: number;
  constructor(readonly method: string, err: grpc.ServiceError) {
    super(`${method}: ${err.details || err.message}`);
    this.code = err.code;
  }
  get notFound(): boolean { return this.code === grpc.status.NOT_FOUND; }
}
