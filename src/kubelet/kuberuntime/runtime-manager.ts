/**
 * The kubelet's runtime manager (upstream's kuberuntime_manager): brings the
 * runtime's sandbox and containers for a pod to what the pod asks for, one
 * step at a time, so that each sync is short and the next one continues:
 * a sandbox, the init containers in order, then every app container, each
 * restarted by restartPolicy with crash-loop back-off.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Backoff } from "../backoff.js";
import { containerEnv, EnvError, type EnvSources } from "../container/env.js";
import { ProberManager } from "../prober/prober-manager.js";
import { runProbe } from "../prober/probe.js";
import type { Container, LifecycleHandler } from "kubernetes-types/core/v1.js";
import type { ResourceList } from "../node-status.js";
import { Labels, podDesc, type Logger, type Pod } from "../types.js";
import type { VolumeManager } from "../volume/volumes.js";
import { containerConfig, etcHosts, sandboxConfig, type DnsSettings } from "./pod-config.js";
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from "./runtime.js";

export interface RuntimePodStatus {
  /** Newest first. */
  sandboxes: PodSandboxStatus[];
  /** Newest first. */
  containers: ContainerStatus[];
}

/** What the kubelet remembers of a pod between syncs, beyond what the runtime holds. */
export interface PodState {
  waiting: Map<string, { reason: string; message?: string }>;
  startTime?: string;
  podIP?: string;
  killing?: boolean;
}

export interface Recorder {
  event(pod: Pod, type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string): void;
}

export interface RuntimeManagerOptions {
  logsDir: string;
  dns: DnsSettings;
  nodeAllocatable: () => ResourceList;
  /** The node's address, what status.hostIP will say (the pod's status may not say it yet when its containers start). */
  nodeIP?: () => string;
  log: Logger;
}

const fieldPath = (kind: "init" | "regular", name: string) => `spec.${kind === "init" ? "initContainers" : "containers"}{${name}}`;
const latestOf = (rt: RuntimePodStatus, name: string) => rt.containers.find((c) => c.metadata.name === name);
export const restartCountOf = (c: ContainerStatus) => Number(c.annotations?.[Labels.restartCount] ?? c.metadata.attempt ?? 0);

export class RuntimeManager {
  readonly backoff = new Backoff();
  private readonly pullBackoff = new Backoff(10_000, 300_000);
  /** When each container's last image pull failed, for ImagePullBackOff. */
  private readonly pullFailures = new Map<string, number>();

  constructor(
    readonly runtime: ContainerRuntime,
    private readonly volumes: VolumeManager,
    private readonly envSources: EnvSources,
    private readonly prober: ProberManager,
    private readonly recorder: Recorder,
    private readonly options: RuntimeManagerOptions,
  ) {}

  async podStatus(uid: string): Promise<RuntimePodStatus> {
    const sel = { [Labels.podUid]: uid };
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandbox(sel), this.runtime.listContainers({ labelSelector: sel })]);
    const sandboxStatuses = await Promise.all(sandboxes.map((s) => this.runtime.podSandboxStatus(s.id).catch(() => ({ ...s, network: null }))));
    const statuses = await Promise.all(containers.map((c) => this.runtime.containerStatus(c.id).catch(() => null)));
    return {
      sandboxes: sandboxStatuses.sort((a, b) => b.createdAt - a.createdAt),
      containers: (statuses.filter(Boolean) as ContainerStatus[]).sort((a, b) => b.createdAt - a.createdAt),
    };
  }

  /** Whether an exited container should run again under the pod's restartPolicy. */
  static shouldRestart(pod: Pod, c: ContainerStatus): boolean {
    const policy = pod.spec.restartPolicy ?? "Always";
    if (policy === "Always") return true;
    if (policy === "OnFailure") return c.exitCode !== 0;
    return false;
  }

  /** One step towards the pod's spec. Returns true when there is more to do at once. */
  async syncPod(pod: Pod, state: PodState): Promise<void> {
    const uid = String(pod.metadata.uid);
    let rt = await this.podStatus(uid);
    let sandbox = rt.sandboxes[0];
    const sandboxReady = sandbox?.state === "SANDBOX_READY";

    let volumePaths: Map<string, string> | undefined;
    if (!sandboxReady) {
      // A pod whose containers all finished for good does not get a new sandbox.
      if (sandbox && this.allDone(pod, rt)) return;
      await this.killContainers(pod, rt, 0);
      if (sandbox) await this.runtime.stopPodSandbox(sandbox.id).catch(() => undefined);
      const attempt = sandbox ? sandbox.metadata.attempt + 1 : 0;
      volumePaths = await this.setUpVolumes(pod, state);
      const config = sandboxConfig(pod, attempt, this.options.logsDir, this.options.dns);
      mkdirSync(config.logDirectory!, { recursive: true });
      try {
        const id = await this.runtime.runPodSandbox(config);
        const status = await this.runtime.podSandboxStatus(id);
        state.podIP = status.network?.ip ?? "";
        if (sandbox) this.recorder.event(pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
      } catch (err) {
        this.recorder.event(pod, "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${(err as Error).message}`);
        throw err;
      }
      rt = await this.podStatus(uid);
      sandbox = rt.sandboxes[0]!;
    } else if (!state.podIP) {
      state.podIP = sandbox!.network?.ip ?? "";
    }
    const sandboxId = sandbox!.id;
    volumePaths ??= await this.setUpVolumes(pod, state);
    mkdirSync(this.volumes.podDir(uid), { recursive: true });
    const hostsFile = join(this.volumes.podDir(uid), "etc-hosts");
    if (!pod.spec.hostNetwork) writeFileSync(hostsFile, etcHosts(pod, state.podIP ?? "", this.options.dns.clusterDomain));

    // Init containers, in order; the next starts when the one before succeeded.
    for (const c of pod.spec.initContainers ?? []) {
      const latest = latestOf(rt, c.name);
      if (latest?.state === "CONTAINER_RUNNING" || latest?.state === "CONTAINER_CREATED") return;
      if (latest?.state === "CONTAINER_EXITED" && latest.exitCode === 0) continue;
      if (latest?.state === "CONTAINER_EXITED" && (pod.spec.restartPolicy ?? "Always") === "Never") return;
      if (latest && this.inBackoff(pod, c, latest, state)) return;
      await this.startContainer(pod, c, "init", sandboxId, rt, state, volumePaths, hostsFile);
      return;
    }

    const running: { id: string; container: Container; startedAt: number }[] = [];
    for (const c of pod.spec.containers ?? []) {
      const latest = latestOf(rt, c.name);
      if (latest?.state === "CONTAINER_RUNNING") {
        const failed = this.prober.result(latest.id, "liveness") === false ? "liveness" : this.prober.result(latest.id, "startup") === false ? "startup" : undefined;
        if (!failed) {
          running.push({ id: latest.id, container: c, startedAt: Math.floor(latest.startedAt / 1e6) });
          continue;
        }
        this.recorder.event(pod, "Normal", "Killing", `Container ${c.name} failed ${failed} probe, will be restarted`, fieldPath("regular", c.name));
        await this.stopContainer(pod, c, latest.id, this.gracePeriod(pod));
        continue; // the next sync sees it exited and restarts it with back-off
      }
      if (latest && latest.state === "CONTAINER_EXITED") {
        if (!RuntimeManager.shouldRestart(pod, latest)) continue;
        if (this.inBackoff(pod, c, latest, state)) continue;
      }
      await this.startContainer(pod, c, "regular", sandboxId, rt, state, volumePaths, hostsFile);
    }
    this.prober.sync(pod, running, state.podIP ?? "");
  }

  /**
   * Sets up or refreshes the pod's volumes; each failure is a FailedMount
   * event (upstream's message) and a retry. Throws while a volume that a
   * container mounts has never been set up, for nothing may start without it.
   */
  private async setUpVolumes(pod: Pod, state: PodState): Promise<Map<string, string>> {
    const { paths, failed } = await this.volumes.setUp(pod);
    for (const err of failed) this.recorder.event(pod, "Warning", "FailedMount", `MountVolume.SetUp failed for volume "${err.volume}" : ${err.message}`);
    const missing = failed.find((err) => !paths.has(err.volume));
    if (missing) {
      state.waiting.clear();
      throw missing;
    }
    return paths;
  }

  private inBackoff(pod: Pod, c: Container, latest: ContainerStatus, state: PodState): boolean {
    const key = `${pod.metadata.uid}/${c.name}`;
    const finished = Math.floor(latest.finishedAt / 1e6);
    if (this.backoff.inBackoffSince(key, finished)) {
      const delay = Math.round(this.backoff.delay(key) / 1000);
      const message = `back-off ${delay >= 60 ? `${Math.floor(delay / 60)}m${delay % 60}s` : `${delay}s`} restarting failed container=${c.name} pod=${podDesc(pod)}`;
      const prev = state.waiting.get(c.name);
      if (prev?.reason !== "CrashLoopBackOff" || prev.message !== message) {
        this.recorder.event(pod, "Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${podDesc(pod)}`, fieldPath("regular", c.name));
      }
      state.waiting.set(c.name, { reason: "CrashLoopBackOff", message });
      return true;
    }
    this.backoff.next(key, finished - Math.floor(latest.startedAt / 1e6));
    return false;
  }

  /** Pulls by imagePullPolicy; returns false (with the waiting reason set) when the image is not there. */
  private async ensureImage(pod: Pod, c: Container, kind: "init" | "regular", state: PodState): Promise<boolean> {
    const image = c.image ?? "";
    const policy = c.imagePullPolicy ?? (/:latest$|^[^:]*$/.test(image.split("/").pop() ?? "") ? "Always" : "IfNotPresent");
    const fp = fieldPath(kind, c.name);
    const present = await this.runtime.imageStatus(image).catch(() => null);
    if (policy === "Never" || (policy === "IfNotPresent" && present)) {
      if (present) {
        this.recorder.event(pod, "Normal", "Pulled", `Container image "${image}" already present on machine`, fp);
        return true;
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      state.waiting.set(c.name, { reason: "ErrImageNeverPull", message });
      this.recorder.event(pod, "Warning", "ErrImageNeverPull", message, fp);
      return false;
    }
    const key = `${pod.metadata.uid}/${c.name}/pull`;
    const lastFailure = this.pullFailures.get(key);
    if (lastFailure !== undefined && this.pullBackoff.inBackoffSince(key, lastFailure)) {
      state.waiting.set(c.name, { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` });
      this.recorder.event(pod, "Normal", "BackOff", `Back-off pulling image "${image}"`, fp);
      return false;
    }
    this.recorder.event(pod, "Normal", "Pulling", `Pulling image "${image}"`, fp);
    const started = Date.now();
    try {
      await this.runtime.pullImage(image, this.authFor(pod, image));
      const took = ((Date.now() - started) / 1000).toFixed(3);
      const size = (await this.runtime.imageStatus(image).catch(() => null))?.size;
      this.recorder.event(pod, "Normal", "Pulled", `Successfully pulled image "${image}" in ${took}s (${took}s including waiting).${size ? ` Image size: ${size} bytes.` : ""}`, fp);
      this.pullFailures.delete(key);
      return true;
    } catch (err) {
      const message = `Failed to pull image "${image}": ${(err as Error).message.replace(/^PullImage: /, "")}`;
      this.recorder.event(pod, "Warning", "Failed", message, fp);
      this.recorder.event(pod, "Warning", "Failed", "Error: ErrImagePull", fp);
      state.waiting.set(c.name, { reason: "ErrImagePull", message });
      this.pullFailures.set(key, Date.now());
      this.pullBackoff.next(key, 0);
      return false;
    }
  }

  /** Registry credentials from the pod's imagePullSecrets (dockerconfigjson), matched by registry host. */
  private authFor(pod: Pod, image: string): { username?: string; password?: string; auth?: string; serverAddress?: string } | undefined {
    const host = image.includes("/") && /[.:]|^localhost/.test(image.split("/")[0]!) ? image.split("/")[0]! : "";
    for (const ref of pod.spec.imagePullSecrets ?? []) {
      const secret = this.envSources.secret(pod.metadata.namespace!, ref.name ?? "");
      const raw = secret?.data?.[".dockerconfigjson"];
      if (!raw) continue;
      try {
        for (const [server, a] of Object.entries(dockerConfigAuths(JSON.parse(Buffer.from(raw, "base64").toString())))) {
          const name = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
          if (name !== host) continue;
          let { username, password } = a;
          if (!username && a.auth) [username, password] = Buffer.from(a.auth, "base64").toString().split(/:(.*)/s);
          // The credentials are chosen by host here; containerd would try to parse a bare host:port as a URL.
          return { username, password };
        }
      } catch { /* a malformed secret gives no credentials */ }
    }
    return undefined;
  }

  private async startContainer(pod: Pod, c: Container, kind: "init" | "regular", sandboxId: string, rt: RuntimePodStatus, state: PodState,
    volumePaths: Map<string, string>, hostsFile: string): Promise<void> {
    const uid = String(pod.metadata.uid);
    const fp = fieldPath(kind, c.name);
    const previous = rt.containers.filter((x) => x.metadata.name === c.name);
    const attempt = previous.length ? restartCountOf(previous[0]!) + 1 : 0;
    if (!state.waiting.has(c.name)) state.waiting.set(c.name, { reason: "ContainerCreating" });
    if (!(await this.ensureImage(pod, c, kind, state))) return;
    let env: { key: string; value: string }[];
    try {
      env = containerEnv(pod, c, this.envSources, state.podIP ?? "", this.options.nodeAllocatable(), this.options.nodeIP?.() ?? pod.status?.hostIP ?? "");
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      state.waiting.set(c.name, { reason: "CreateContainerConfigError", message: err.message });
      this.recorder.event(pod, "Warning", "Failed", `Error: ${err.message}`, fp);
      return;
    }
    const termDir = join(this.volumes.podDir(uid), "containers", c.name);
    mkdirSync(termDir, { recursive: true });
    const termFile = join(termDir, String(attempt));
    writeFileSync(termFile, "");
    // Writable by whatever user the container runs as (upstream's kubelet makes it 0666), whatever the umask.
    chmodSync(termFile, 0o666);
    let config: ReturnType<typeof containerConfig>;
    try {
      config = containerConfig({ pod, container: c, kind, attempt, env, volumePaths, etcHosts: pod.spec.hostNetwork ? undefined : hostsFile, terminationMessageFile: termFile });
    } catch (err) {
      if (!(err instanceof EnvError)) throw err;
      state.waiting.set(c.name, { reason: "CreateContainerConfigError", message: err.message });
      this.recorder.event(pod, "Warning", "Failed", `Error: ${err.message}`, fp);
      return;
    }
    const sbConfig = sandboxConfig(pod, rt.sandboxes[0]?.metadata.attempt ?? 0, this.options.logsDir, this.options.dns);
    let id: string;
    try {
      id = await this.runtime.createContainer(sandboxId, config, sbConfig);
    } catch (err) {
      state.waiting.set(c.name, { reason: "CreateContainerError", message: (err as Error).message });
      this.recorder.event(pod, "Warning", "Failed", `Error: ${(err as Error).message}`, fp);
      return;
    }
    this.recorder.event(pod, "Normal", "Created", `Created container ${c.name}`, fp);
    try {
      await this.runtime.startContainer(id);
    } catch (err) {
      state.waiting.set(c.name, { reason: "RunContainerError", message: (err as Error).message });
      this.recorder.event(pod, "Warning", "Failed", `Error: ${(err as Error).message}`, fp);
      return;
    }
    state.waiting.delete(c.name);
    this.recorder.event(pod, "Normal", "Started", `Started container ${c.name}`, fp);
    // Older exited instances beyond the one before are of no more use (upstream keeps one for --previous).
    for (const old of previous.slice(1)) await this.runtime.removeContainer(old.id).catch(() => undefined);
    if (c.lifecycle?.postStart) {
      const r = await this.runHook(c.lifecycle.postStart, id, c, state.podIP ?? "");
      if (!r.ok) {
        this.recorder.event(pod, "Warning", "FailedPostStartHook", r.output, fp);
        this.recorder.event(pod, "Normal", "Killing", `FailedPostStartHook`, fp);
        await this.runtime.stopContainer(id, this.gracePeriod(pod)).catch(() => undefined);
      }
    }
  }

  private runHook(handler: LifecycleHandler, containerId: string, container: Container, podIP: string) {
    const sleep = handler.sleep;
    if (sleep) return new Promise<{ ok: boolean; output: string }>((r) => setTimeout(() => r({ ok: true, output: "" }), (sleep.seconds ?? 0) * 1000));
    return runProbe({ ...handler, timeoutSeconds: 30 }, { runtime: this.runtime, containerId, container, podIP });
  }

  gracePeriod(pod: Pod): number {
    return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  }

  /** Whether every container finished and none will run again (the pod is terminal). */
  allDone(pod: Pod, rt: RuntimePodStatus): boolean {
    const policy = pod.spec.restartPolicy ?? "Always";
    if (policy === "Always") return false;
    const init = pod.spec.initContainers ?? [];
    if (policy === "Never" && init.some((c) => { const l = latestOf(rt, c.name); return l?.state === "CONTAINER_EXITED" && l.exitCode !== 0; })) return true;
    return (pod.spec.containers ?? []).every((c) => {
      const l = latestOf(rt, c.name);
      return l?.state === "CONTAINER_EXITED" && !RuntimeManager.shouldRestart(pod, l);
    });
  }

  private async stopContainer(pod: Pod, c: Container | undefined, id: string, grace: number): Promise<void> {
    const started = Date.now();
    if (c?.lifecycle?.preStop && grace > 0) {
      const hook = this.runHook(c.lifecycle.preStop, id, c, "");
      const r = await Promise.race([hook, new Promise<null>((res) => setTimeout(() => res(null), grace * 1000))]);
      if (r && !r.ok) this.recorder.event(pod, "Warning", "FailedPreStopHook", r.output, fieldPath("regular", c.name));
    }
    const left = Math.max(grace > 0 ? 2 : 0, grace - Math.floor((Date.now() - started) / 1000));
    await this.runtime.stopContainer(id, left);
  }

  /** Stops every running container of the pod with the grace period, preStop hooks first (in parallel, as upstream). */
  async killContainers(pod: Pod, rt: RuntimePodStatus, grace: number, announce = false): Promise<void> {
    const specs = new Map<string, Container>([...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].map((c) => [c.name, c]));
    await Promise.all(rt.containers.filter((c) => c.state === "CONTAINER_RUNNING" || c.state === "CONTAINER_CREATED").map(async (c) => {
      const spec = specs.get(c.metadata.name);
      if (announce) this.recorder.event(pod, "Normal", "Killing", `Stopping container ${c.metadata.name}`, fieldPath(c.annotations?.[Labels.containerKind] === "init" ? "init" : "regular", c.metadata.name));
      await this.stopContainer(pod, spec, c.id, grace).catch((err) => this.options.log("stop container failed", { container: c.id, err: String(err) }));
    }));
  }

  /** Terminates the pod: containers stopped within the grace period, then the sandbox (which frees its address). */
  async killPod(pod: Pod, grace: number): Promise<RuntimePodStatus> {
    const uid = String(pod.metadata.uid);
    this.prober.removePod(uid);
    const rt = await this.podStatus(uid);
    await this.killContainers(pod, rt, grace, true);
    for (const s of rt.sandboxes) if (s.state === "SANDBOX_READY") await this.runtime.stopPodSandbox(s.id).catch(() => undefined);
    return this.podStatus(uid);
  }

  /** Removes everything the runtime and the node hold for a pod that is gone. */
  async removePod(uid: string): Promise<void> {
    this.prober.removePod(uid);
    const rt = await this.podStatus(uid);
    for (const c of rt.containers) {
      if (c.state === "CONTAINER_RUNNING") await this.runtime.stopContainer(c.id, 0).catch(() => undefined);
      await this.runtime.removeContainer(c.id).catch(() => undefined);
    }
    for (const s of rt.sandboxes) {
      await this.runtime.stopPodSandbox(s.id).catch(() => undefined);
      await this.runtime.removePodSandbox(s.id).catch(() => undefined);
    }
    this.volumes.tearDown(uid);
    this.backoff.forgetPrefix(uid + "/");
  }

  /** The termination message a container left, or the tail of its log when its policy says so. */
  terminationMessage(c: ContainerStatus, spec: Container | undefined, podDir: string): string {
    let msg = "";
    try { msg = readFileSync(join(podDir, "containers", c.metadata.name, String(restartCountOf(c))), "utf8").slice(0, 4096); } catch { /* none written */ }
    if (!msg && spec?.terminationMessagePolicy === "FallbackToLogsOnError" && c.exitCode !== 0 && c.logPath) {
      try {
        const lines = readFileSync(c.logPath, "utf8").trimEnd().split("\n").slice(-80).map((l) => l.split(" ").slice(3).join(" "));
        msg = lines.join("\n").slice(-2048);
      } catch { /* no log */ }
    }
    return msg;
  }
}

/** One registry's credentials in a .dockerconfigjson. */
interface DockerAuth { username?: string; password?: string; auth?: string }

/** The `auths` of a parsed .dockerconfigjson, keeping only string fields: the Secret's content is the user's, not checked by the API. */
function dockerConfigAuths(config: unknown): Record<string, DockerAuth> {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  if (!isObject(config) || !isObject(config.auths)) return {};
  const out: Record<string, DockerAuth> = {};
  for (const [server, a] of Object.entries(config.auths)) {
    if (isObject(a)) out[server] = { username: str(a.username), password: str(a.password), auth: str(a.auth) };
  }
  return out;
}
