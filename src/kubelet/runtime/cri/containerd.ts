/**
 * Skiff's own containerd (as k3s runs one): its configuration, state, socket
 * and runc state all live under the data directory, so it runs beside any
 * system containerd without touching it. The process is a child of Skiff;
 * containers keep running through their shims when Skiff stops, and the next
 * start adopts them.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CriClient } from "./cri-client.js";

export const CNI_BIN_DIR = "/usr/lib/cni";
export const SANDBOX_IMAGE = "skiff.local/pause:3.10";

export interface ContainerdPaths {
  root: string;
  state: string;
  socket: string;
  config: string;
  cniConfDir: string;
  log: string;
  /** The pid of the containerd last started here, to end one that outlived a killed Skiff. */
  pidFile: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const base = join(dataDir, "agent", "containerd");
  return {
    root: join(base, "root"),
    // The socket path must stay short (unix sockets allow ~107 bytes).
    state: join(base, "state"),
    socket: join(base, "containerd.sock"),
    config: join(base, "config.toml"),
    cniConfDir: join(dataDir, "agent", "cni", "net.d"),
    log: join(base, "containerd.log"),
    pidFile: join(base, "containerd.pid"),
  };
}

/** Why the cri runtime cannot run here, or null when it can. */
export function criUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "not running as root";
  for (const bin of ["containerd", "runc", "ctr"]) {
    if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) return `${bin} is not installed (Debian packages containerd and runc)`;
  }
  if (!existsSync(join(CNI_BIN_DIR, "bridge")) || !existsSync(join(CNI_BIN_DIR, "host-local"))) return `CNI plugins are missing from ${CNI_BIN_DIR} (Debian package containernetworking-plugins)`;
  return null;
}

function configToml(p: ContainerdPaths): string {
  const q = JSON.stringify;
  // restrict_oom_score_adj: these machines refuse to lower a process's OOM
  // score, which containerd otherwise asks for the sandbox (see CONTAINERD-NOTES).
  return `version = 2
root = ${q(p.root)}
state = ${q(p.state)}
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = ${q(p.socket)}

[ttrpc]
  address = ${q(p.socket + ".ttrpc")}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(p.root, "opt"))}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(SANDBOX_IMAGE)}
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(join(p.state, "runc"))}
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(CNI_BIN_DIR)}
    conf_dir = ${q(p.cniConfDir)}
`;
}

export class Containerd {
  readonly paths: ContainerdPaths;
  private child?: ChildProcess;
  private stopping = false;

  constructor(dataDir: string, private readonly log: (msg: string, fields?: Record<string, unknown>) => void = () => undefined) {
    this.paths = containerdPaths(dataDir);
  }

  /** Starts containerd (restarting it if it dies) and resolves once CRI answers. */
  async start(): Promise<CriClient> {
    for (const dir of [this.paths.root, this.paths.state, this.paths.cniConfDir]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.paths.config, configToml(this.paths));
    await this.endOrphan();
    this.spawn();
    const cri = new CriClient(this.paths.socket);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await cri.version();
        return cri;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`containerd did not answer on ${this.paths.socket} within 60 s (see ${this.paths.log}): ${String(err)}`);
        await sleep(200);
      }
    }
  }

  /**
   * A Skiff that was SIGKILLed leaves its containerd running (nothing reaps it): the one the pid file
   * names, if it still runs this data directory's configuration, is ended so that a new one takes the
   * socket (and `skiff killall` leaves no containerd behind). The shims live on, as on any restart.
   */
  private async endOrphan(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.paths.pidFile, "utf8").trim());
    } catch {
      return;
    }
    const ours = () => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(this.paths.config);
      } catch {
        return false;
      }
    };
    if (!pid || !ours()) return;
    this.log("ending the containerd a previous run left", { pid });
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (ours() && Date.now() < deadline) await sleep(100);
    if (ours()) process.kill(pid, "SIGKILL");
    while (ours()) await sleep(100);
  }

  private spawn(): void {
    const out = createWriteStream(this.paths.log, { flags: "a" });
    const child = spawn("containerd", ["--config", this.paths.config], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.child = child;
    if (child.pid) writeFileSync(this.paths.pidFile, `${child.pid}\n`);
    // Skiff dying of an error must not leave its containerd behind (the shims, and so the pods, stay).
    const reap = () => child.kill("SIGTERM");
    process.once("exit", reap);
    child.once("exit", () => process.off("exit", reap));
    this.log("containerd started", { pid: child.pid, socket: this.paths.socket, log: this.paths.log });
    child.once("exit", (code, signal) => {
      if (this.stopping) return;
      this.log("containerd exited; restarting", { code, signal });
      setTimeout(() => { if (!this.stopping) this.spawn(); }, 1000);
    });
  }

  /** Stops containerd itself; the shims (and so the containers) live on. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
  }
}
