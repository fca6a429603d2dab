/**
 * The volume manager: each of a pod's volumes that a container mounts becomes
 * a directory on the node under `pods/<uid>/volumes/<plugin>/<name>`
 * (upstream's layout), which the runtime bind-mounts into the containers.
 * ConfigMap, Secret, downward API and projected volumes are rewritten
 * atomically whenever their source changes (the pod's sync notices), so a
 * mounted file follows the object; a projected service-account token is
 * rewritten when the token manager refreshes it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseQuantity } from "../../api/quantity.js";
import type { EnvSources } from "../container/env.js";
import type { HostPathVolumeSource, PersistentVolume, PersistentVolumeClaim, ServiceAccountTokenProjection, Volume } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import type { ResourceList } from "../node-status.js";
import type { Pod } from "../types.js";
import { writeAtomic } from "./atomic-writer.js";
import { VolumeError, volumePayload } from "./payload.js";

export { VolumeError } from "./payload.js";

export interface VolumeSources extends EnvSources {
  persistentVolumeClaim(namespace: string, name: string): Kube<PersistentVolumeClaim> | undefined | Promise<Kube<PersistentVolumeClaim> | undefined>;
  persistentVolume(name: string): PersistentVolume | undefined | Promise<PersistentVolume | undefined>;
}

/** The service-account token of a projected source (the token manager's job); throws with upstream's message when it cannot. */
export type TokenSource = (pod: Pod, source: ServiceAccountTokenProjection) => Promise<string>;

export interface VolumeSetUp {
  /** Each usable volume's host path by name: set up now, or earlier and kept while a refresh fails. */
  paths: Map<string, string>;
  /** The volumes that failed this time; those missing from paths keep the pod's containers from starting. */
  failed: VolumeError[];
}

export class VolumeManager {
  constructor(private readonly podsDir: string, private readonly sources: VolumeSources, private readonly nodeAllocatable: () => ResourceList,
    private readonly serviceAccountToken: TokenSource = async () => { throw new Error("failed to fetch token: no token manager"); }) {}

  podDir(uid: string): string { return join(this.podsDir, uid); }

  /**
   * Sets up (or refreshes) every volume a container of the pod mounts, each
   * on its own: one that fails is reported and retried at the next sync while
   * the others are written (upstream ignores volumes no container mounts).
   */
  async setUp(pod: Pod): Promise<VolumeSetUp> {
    const used = new Set<string>();
    for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
      for (const m of c.volumeMounts ?? []) used.add(m.name);
      for (const d of c.volumeDevices ?? []) used.add(d.name);
    }
    const paths = new Map<string, string>();
    const failed: VolumeError[] = [];
    for (const v of pod.spec.volumes ?? []) {
      if (!used.has(v.name)) continue;
      try {
        paths.set(v.name, await this.setUpVolume(pod, v));
      } catch (err) {
        const e = err instanceof VolumeError ? err : new VolumeError(v.name, (err as Error).message, { cause: err });
        failed.push(e);
        // Once written, a volume stays as it was while a refresh fails, as upstream's does.
        const dir = this.writtenDir(pod, v);
        if (dir && existsSync(join(dir, "..data"))) paths.set(v.name, dir);
      }
    }
    return { paths, failed };
  }

  private dir(pod: Pod, plugin: string, name: string): string {
    return join(this.podDir(String(pod.metadata.uid)), "volumes", plugin, name);
  }

  private writtenDir(pod: Pod, v: Volume): string | undefined {
    const plugin = v.configMap ? "configmap" : v.secret ? "secret" : v.downwardAPI ? "downward-api" : v.projected ? "projected" : undefined;
    return plugin && this.dir(pod, `kubernetes.io~${plugin}`, v.name);
  }

  private async setUpVolume(pod: Pod, v: Volume): Promise<string> {
    const ns = pod.metadata.namespace as string;
    if (v.emptyDir) {
      const dir = this.dir(pod, "kubernetes.io~empty-dir", v.name);
      const fresh = !existsSync(dir);
      mkdirSync(dir, { recursive: true });
      // World-writable as upstream's (drwxrwxrwx), whatever the kubelet's umask: any container user may write to it.
      chmodSync(dir, 0o777);
      if (fresh && v.emptyDir.medium === "Memory") {
        const size = v.emptyDir.sizeLimit ? `,size=${Math.floor(parseQuantity(v.emptyDir.sizeLimit))}` : "";
        const r = spawnSync("mount", ["-t", "tmpfs", "-o", `mode=0777${size}`, "tmpfs", dir], { encoding: "utf8" });
        if (r.status !== 0) throw new VolumeError(v.name, `mount tmpfs: ${r.stderr.trim()}`);
      }
      return dir;
    }
    if (v.hostPath) return hostPath(v.name, v.hostPath);
    const written = this.writtenDir(pod, v);
    if (written) {
      const payload = await volumePayload(pod, v, { sources: this.sources, nodeAllocatable: this.nodeAllocatable, serviceAccountToken: this.serviceAccountToken });
      writeAtomic(written, payload);
      return written;
    }
    if (v.persistentVolumeClaim) {
      const claim = await this.sources.persistentVolumeClaim(ns, v.persistentVolumeClaim.claimName);
      if (!claim) throw new VolumeError(v.name, `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
      const pvName = claim.spec?.volumeName;
      if (!pvName || claim.status?.phase !== "Bound") throw new VolumeError(v.name, `persistentvolumeclaim "${claim.metadata.name}" is not bound`);
      const pv = await this.sources.persistentVolume(pvName);
      const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
      if (!path) throw new VolumeError(v.name, `persistentvolume "${pvName}" has no local or hostPath source this node can mount`);
      mkdirSync(path, { recursive: true, mode: 0o777 });
      return path;
    }
    throw new VolumeError(v.name, `volume type of "${v.name}" is not supported by this kubelet`);
  }

  /** Unmounts what the kubelet mounted and removes the pod's directory. */
  tearDown(uid: string): void {
    const dir = this.podDir(uid);
    const empty = join(dir, "volumes", "kubernetes.io~empty-dir");
    if (existsSync(empty)) {
      for (const line of readMounts()) if (line.startsWith(empty + "/")) spawnSync("umount", ["-l", line]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function readMounts(): string[] {
  try {
    return (spawnSync("cat", ["/proc/self/mounts"], { encoding: "utf8" }).stdout || "").split("\n").map((l) => l.split(" ")[1] ?? "").filter(Boolean);
  } catch {
    return [];
  }
}

function hostPath(volume: string, hp: HostPathVolumeSource): string {
  const path = hp.path;
  const type = hp.type ?? "";
  const exists = existsSync(path);
  switch (type) {
    case "DirectoryOrCreate":
      if (!exists) mkdirSync(path, { recursive: true, mode: 0o755 });
      break;
    case "FileOrCreate":
      if (!exists) writeFileSync(path, "", { mode: 0o644 });
      break;
    case "Directory":
      if (!exists || !statSync(path).isDirectory()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a directory`);
      break;
    case "File":
      if (!exists || !statSync(path).isFile()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a file`);
      break;
    case "Socket": case "CharDevice": case "BlockDevice":
      if (!exists) throw new VolumeError(volume, `hostPath type check failed: ${path} does not exist`);
      break;
    default:
      break;
  }
  return path;
}
