/**
 * The process runtime, for machines without containerd or root: a container
 * is a host process (command and args, env, working directory), its output
 * written to the same CRI log files, stopped with SIGTERM then SIGKILL. It
 * speaks the kubelet's runtime interface, so restart policies, back-off,
 * probes, hooks, logs and statuses work as with containerd. Its limits:
 * no images (the image name is only recorded), no isolation, the node's
 * network (the pod IP is the node address), no streamed exec, and its
 * processes end with the kubelet instead of being adopted.
 *
 * Volumes without mounts: a host process cannot be given files at a path
 * like /var/run/secrets/kubernetes.io/serviceaccount without root and a mount
 * namespace, so each container gets a root directory of its own in which
 * every mount's path is a symbolic link to the volume the kubelet wrote (the
 * links follow the volume's atomic updates). The process finds it in
 * `SKIFF_CONTAINER_ROOT`: `$SKIFF_CONTAINER_ROOT/var/run/secrets/
 * kubernetes.io/serviceaccount/token` is its token, and
 * `KubeConfig.loadFromCluster(process.env.SKIFF_CONTAINER_ROOT)` of
 * @kubernetes/client-node reads it. Read-only mounts are not enforced.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, rmSync, symlinkSync, type WriteStream } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { Container, ContainerConfig, ContainerState, ContainerStats, ContainerStatus, Image, PodSandbox, PodSandboxConfig, PodSandboxStatus } from "../cri/cri-client.js";
import type { ContainerRuntime, ExecProcess } from "../../kuberuntime/runtime.js";

interface ProcContainer {
  status: ContainerStatus;
  /** The directory in which the container's mounts appear as links (SKIFF_CONTAINER_ROOT). */
  root: string;
  podSandboxId: string;
  config: ContainerConfig;
  logPath: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

const nowNs = () => Date.now() * 1e6;
const id = () => randomBytes(32).toString("hex");
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class ProcessRuntimeError extends Error {}

/** Where a process finds the paths its container mounts (see the top of this file). */
export const CONTAINER_ROOT_ENV = "SKIFF_CONTAINER_ROOT";

export class ProcessRuntime implements ContainerRuntime {
  readonly name = "process://0.1";
  private readonly sandboxes = new Map<string, PodSandboxStatus & { config: PodSandboxConfig }>();
  private readonly containers = new Map<string, ProcContainer>();

  /** rootDir holds the containers' root directories. */
  constructor(private readonly hostIP: string, private readonly rootDir: string) {}

  async version() { return { version: "0.1.0", runtimeName: "process", runtimeVersion: "0.1", runtimeApiVersion: "v1" }; }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const sid = id();
    this.sandboxes.set(sid, {
      id: sid, metadata: config.metadata, state: "SANDBOX_READY", createdAt: nowNs(), labels: config.labels ?? {}, annotations: config.annotations ?? {},
      network: { ip: this.hostIP, additionalIps: [] }, config,
    });
    return sid;
  }

  async stopPodSandbox(sid: string): Promise<void> {
    const sb = this.sandboxes.get(sid);
    if (!sb) return;
    await Promise.all([...this.containers.entries()].filter(([, c]) => c.podSandboxId === sid).map(([cid]) => this.stopContainer(cid, 0)));
    sb.state = "SANDBOX_NOTREADY";
  }

  async removePodSandbox(sid: string): Promise<void> {
    for (const [cid, c] of this.containers) if (c.podSandboxId === sid) await this.removeContainer(cid);
    this.sandboxes.delete(sid);
  }

  async podSandboxStatus(sid: string): Promise<PodSandboxStatus> {
    const sb = this.sandboxes.get(sid);
    if (!sb) throw new ProcessRuntimeError(`PodSandboxStatus: sandbox ${sid} not found`);
    const { config: _config, ...status } = sb;
    return status;
  }

  async listPodSandbox(labelSelector?: Record<string, string>): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()].filter((s) => matches(s.labels, labelSelector)).map(({ config: _c, network: _n, ...s }) => s);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    if (!this.sandboxes.has(podSandboxId)) throw new ProcessRuntimeError(`CreateContainer: sandbox ${podSandboxId} not found`);
    if (!config.command?.length) {
      throw new ProcessRuntimeError(`the process runtime runs a container as a host process and needs its command: container "${config.metadata.name}" has none (the image ${config.image.image} is not run)`);
    }
    const cid = id();
    const root = join(this.rootDir, cid);
    for (const m of config.mounts ?? []) {
      if (!isAbsolute(m.containerPath)) throw new ProcessRuntimeError(`CreateContainer: mount path ${JSON.stringify(m.containerPath)} of container "${config.metadata.name}" is not absolute`);
      const link = join(root, m.containerPath);
      mkdirSync(dirname(link), { recursive: true });
      rmSync(link, { force: true });
      symlinkSync(m.hostPath, link);
    }
    mkdirSync(root, { recursive: true });
    const logPath = isAbsolute(config.logPath ?? "") ? config.logPath! : join(sandboxConfig.logDirectory ?? "/tmp", config.logPath ?? `${config.metadata.name}.log`);
    this.containers.set(cid, {
      podSandboxId, config, logPath, root,
      status: {
        id: cid, metadata: config.metadata, state: "CONTAINER_CREATED", createdAt: nowNs(), startedAt: 0, finishedAt: 0, exitCode: 0,
        image: config.image, imageRef: `process://${config.image.image}`, reason: "", message: "", labels: config.labels ?? {}, annotations: config.annotations ?? {}, logPath,
      },
    });
    return cid;
  }

  async startContainer(cid: string): Promise<void> {
    const c = this.get(cid);
    const [cmd, ...rest] = [...(c.config.command ?? []), ...(c.config.args ?? [])];
    mkdirSync(dirname(c.logPath), { recursive: true });
    const log = createWriteStream(c.logPath, { flags: "a" });
    const env = this.execEnv(c);
    // Its own process group, so that stopping the container stops everything it started.
    const child = spawn(cmd!, rest, { cwd: c.config.workingDir || "/", env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    c.child = child;
    c.status.state = "CONTAINER_RUNNING";
    c.status.startedAt = nowNs();
    pipeLines(child.stdout!, "stdout", log);
    pipeLines(child.stderr!, "stderr", log);
    c.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        c.status.state = "CONTAINER_EXITED";
        c.status.finishedAt = nowNs();
        c.status.exitCode = code ?? 128 + (SIGNALS[signal ?? "SIGKILL"] ?? 9);
        c.status.reason = c.status.exitCode === 0 ? "Completed" : "Error";
        c.child = undefined;
        setTimeout(() => log.end(), 50);
        resolve();
      };
      child.once("exit", done);
      child.once("error", (err) => { c.status.message = err.message; done(127, null); });
    });
  }

  async stopContainer(cid: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(cid);
    if (!c?.child?.pid) return;
    const group = -c.child.pid;
    const kill = (sig: NodeJS.Signals) => { try { process.kill(group, sig); } catch { /* gone */ } };
    kill(timeoutSeconds > 0 ? "SIGTERM" : "SIGKILL");
    const timer = setTimeout(() => kill("SIGKILL"), Math.max(0, timeoutSeconds) * 1000);
    await c.exited;
    clearTimeout(timer);
  }

  async removeContainer(cid: string): Promise<void> {
    await this.stopContainer(cid, 0);
    const c = this.containers.get(cid);
    // Only the links go: rm does not follow them into the volumes.
    if (c) rmSync(c.root, { recursive: true, force: true });
    this.containers.delete(cid);
  }

  async listContainers(filter: { podSandboxId?: string; labelSelector?: Record<string, string> } = {}): Promise<Container[]> {
    return [...this.containers.values()]
      .filter((c) => (!filter.podSandboxId || c.podSandboxId === filter.podSandboxId) && matches(c.status.labels, filter.labelSelector))
      .map((c) => ({ id: c.status.id, podSandboxId: c.podSandboxId, metadata: c.status.metadata, image: c.status.image, imageRef: c.status.imageRef, state: c.status.state as ContainerState, createdAt: c.status.createdAt, labels: c.status.labels, annotations: c.status.annotations }));
  }

  async containerStatus(cid: string): Promise<ContainerStatus> {
    return { ...this.get(cid).status };
  }

  async execSync(cid: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const c = this.get(cid);
    if (c.status.state !== "CONTAINER_RUNNING") throw new ProcessRuntimeError(`ExecSync: container ${cid} is not running`);
    return new Promise((resolve) => {
      const child = spawn(cmd[0]!, cmd.slice(1), { cwd: c.config.workingDir || "/", env: this.execEnv(c), stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [], err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      const timer = timeoutSeconds > 0 ? setTimeout(() => child.kill("SIGKILL"), timeoutSeconds * 1000) : undefined;
      child.once("error", (e) => { clearTimeout(timer); resolve({ stdout: Buffer.alloc(0), stderr: Buffer.from(e.message), exitCode: 127 }); });
      child.once("close", (code, signal) => { clearTimeout(timer); resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code ?? 128 + (SIGNALS[signal ?? "SIGKILL"] ?? 9) }); });
    });
  }

  /**
   * An exec session streamed by the kubelet itself (the process runtime has no
   * streaming server): the command as a host process with the container's
   * environment and working directory, its standard streams as pipes.
   */
  async execStream(cid: string, cmd: string[], opts: { stdin: boolean }): Promise<ExecProcess> {
    const c = this.get(cid);
    if (c.status.state !== "CONTAINER_RUNNING") throw new ProcessRuntimeError(`Exec: container ${cid} is not running`);
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: c.config.workingDir || "/", env: this.execEnv(c), stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    const exited = new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? "SIGKILL"] ?? 9)));
    });
    child.stdin?.on("error", () => undefined);
    exited.catch(() => undefined); // the relay reports a failed start; until then it must not count as unhandled
    return { stdin: child.stdin ?? undefined, stdout: child.stdout!, stderr: child.stderr!, exited, kill: () => child.kill("SIGKILL") };
  }

  private execEnv(c: ProcContainer): Record<string, string> {
    return { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", [CONTAINER_ROOT_ENV]: c.root, ...Object.fromEntries((c.config.envs ?? []).map((e) => [e.key, e.value])) };
  }

  /** CPU time and resident memory of the container's process (its own, not its children's), from /proc. */
  async containerStats(cid: string): Promise<ContainerStats> {
    const c = this.get(cid);
    const attributes = { id: cid, metadata: c.status.metadata };
    const pid = c.child?.pid;
    if (!pid) return { attributes };
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th of them.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(f[11]) + Number(f[12]);
      const rss = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * 4096;
      const now = Date.now() * 1e6;
      return { attributes, cpu: { timestamp: now, usageCoreNanoSeconds: { value: ticks * 1e7 } }, memory: { timestamp: now, workingSetBytes: { value: rss }, rssBytes: { value: rss } } };
    } catch {
      return { attributes };
    }
  }

  /** No image store: every image "is present", since nothing is pulled or unpacked. */
  async listImages(): Promise<Image[]> { return []; }
  async imageStatus(image: string): Promise<Image | null> { return { id: `process://${image}`, repoTags: [image], repoDigests: [], size: 0 }; }
  async pullImage(image: string): Promise<string> { return `process://${image}`; }

  /** Ends every process (they are not adopted by a later kubelet). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.containers.keys()].map((cid) => this.stopContainer(cid, 2)));
  }

  private get(cid: string): ProcContainer {
    const c = this.containers.get(cid);
    if (!c) throw new ProcessRuntimeError(`container ${cid} not found`);
    return c;
  }
}

function matches(labels: Record<string, string>, selector?: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** Writes a stream to the log in the CRI format, a line at a time (P for a line the stream ended without newline). */
function pipeLines(stream: NodeJS.ReadableStream, name: string, log: WriteStream): void {
  let pending = "";
  stream.on("data", (d: Buffer) => {
    pending += d.toString("utf8");
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      log.write(`${new Date().toISOString().replace("Z", "000000Z")} ${name} F ${pending.slice(0, nl)}\n`);
      pending = pending.slice(nl + 1);
    }
  });
  stream.on("end", () => { if (pending) log.write(`${new Date().toISOString().replace("Z", "000000Z")} ${name} P ${pending}\n`); });
}
