/**
 * The volume manager: each of a pod's volumes becomes a directory on the
 * node under `pods/<uid>/volumes/<plugin>/<name>` (upstream's layout), which
 * the runtime bind-mounts into the containers. ConfigMap, Secret, downward
 * API and projected volumes are rewritten atomically whenever their source
 * changes, so a mounted file follows the object.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseQuantity } from "../../api/quantity.js";
import { decodeSecret, fieldRefValue, formatMap, resourceFieldValue, type EnvSources } from "../container/env.js";
import type { Json, Pod } from "../types.js";
import { writeAtomic, type Payload } from "./atomic-writer.js";

export interface VolumeSources extends EnvSources {
  persistentVolumeClaim(namespace: string, name: string): Json | undefined;
  persistentVolume(name: string): Json | undefined;
}

export class VolumeError extends Error {
  constructor(readonly volume: string, message: string) { super(message); }
}

export class VolumeManager {
  constructor(private readonly podsDir: string, private readonly sources: VolumeSources, private readonly nodeAllocatable: () => Json) {}

  podDir(uid: string): string { return join(this.podsDir, uid); }

  /** Sets up (or refreshes) every volume of the pod; returns each volume's host path by name. */
  setUp(pod: Pod): Map<string, string> {
    const paths = new Map<string, string>();
    for (const v of pod.spec.volumes ?? []) paths.set(v.name, this.setUpVolume(pod, v));
    return paths;
  }

  private dir(pod: Pod, plugin: string, name: string): string {
    return join(this.podDir(String(pod.metadata.uid)), "volumes", plugin, name);
  }

  private setUpVolume(pod: Pod, v: Json): string {
    const ns = pod.metadata.namespace as string;
    if (v.emptyDir) {
      const dir = this.dir(pod, "kubernetes.io~empty-dir", v.name);
      const fresh = !existsSync(dir);
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      if (fresh && v.emptyDir.medium === "Memory") {
        const size = v.emptyDir.sizeLimit ? `,size=${Math.floor(parseQuantity(v.emptyDir.sizeLimit))}` : "";
        const r = spawnSync("mount", ["-t", "tmpfs", "-o", `mode=0777${size}`, "tmpfs", dir], { encoding: "utf8" });
        if (r.status !== 0) throw new VolumeError(v.name, `mount tmpfs: ${r.stderr.trim()}`);
      }
      return dir;
    }
    if (v.hostPath) return hostPath(v.name, v.hostPath);
    if (v.configMap || v.secret || v.downwardAPI || v.projected) {
      const plugin = v.configMap ? "configmap" : v.secret ? "secret" : v.downwardAPI ? "downward-api" : "projected";
      const dir = this.dir(pod, `kubernetes.io~${plugin}`, v.name);
      const payload = this.payload(pod, v);
      if (payload) writeAtomic(dir, payload);
      else mkdirSync(dir, { recursive: true });
      return dir;
    }
    if (v.persistentVolumeClaim) {
      const claim = this.sources.persistentVolumeClaim(ns, v.persistentVolumeClaim.claimName);
      if (!claim) throw new VolumeError(v.name, `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
      const pvName = claim.spec?.volumeName;
      if (!pvName || claim.status?.phase !== "Bound") throw new VolumeError(v.name, `persistentvolumeclaim "${claim.metadata.name}" is not bound`);
      const pv = this.sources.persistentVolume(pvName);
      const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
      if (!path) throw new VolumeError(v.name, `persistentvolume "${pvName}" has no local or hostPath source this node can mount`);
      mkdirSync(path, { recursive: true, mode: 0o777 });
      return path;
    }
    throw new VolumeError(v.name, `volume type of "${v.name}" is not supported by this kubelet`);
  }

  private payload(pod: Pod, v: Json): Payload | null {
    const ns = pod.metadata.namespace as string;
    if (v.configMap) return keyed(this.sources.configMap(ns, v.configMap.name), v.configMap, false, v.name, "configmap");
    if (v.secret) return keyed(this.sources.secret(ns, v.secret.secretName), { ...v.secret, name: v.secret.secretName }, true, v.name, "secret");
    if (v.downwardAPI) return this.downward(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644);
    const out: Payload = {};
    const mode = v.projected.defaultMode ?? 0o644;
    for (const src of v.projected.sources ?? []) {
      let part: Payload | null = null;
      if (src.configMap) part = keyed(this.sources.configMap(ns, src.configMap.name), { ...src.configMap, defaultMode: mode }, false, v.name, "configmap");
      else if (src.secret) part = keyed(this.sources.secret(ns, src.secret.name), { ...src.secret, defaultMode: mode }, true, v.name, "secret");
      else if (src.downwardAPI) part = this.downward(pod, src.downwardAPI.items ?? [], mode);
      Object.assign(out, part ?? {});
    }
    return out;
  }

  private downward(pod: Pod, items: Json[], defaultMode: number): Payload {
    const out: Payload = {};
    for (const item of items) {
      let value = "";
      if (item.fieldRef) {
        const fp = item.fieldRef.fieldPath as string;
        value = fp === "metadata.labels" || fp === "metadata.annotations" ? formatMap((pod.metadata as Json)[fp.split(".")[1]!]) : fieldRefValue(pod, fp);
      } else if (item.resourceFieldRef) {
        const c = (pod.spec.containers ?? []).find((x: Json) => x.name === item.resourceFieldRef.containerName) ?? pod.spec.containers[0];
        value = resourceFieldValue(c, item.resourceFieldRef, this.nodeAllocatable());
      }
      out[item.path] = { data: Buffer.from(value), mode: item.mode ?? defaultMode };
    }
    return out;
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

function keyed(obj: Json | undefined, ref: Json, secret: boolean, volume: string, kind: string): Payload | null {
  if (!obj) {
    if (ref.optional) return {};
    throw new VolumeError(volume, `${kind} "${ref.name}" not found`);
  }
  const data: Record<string, Buffer> = {};
  if (secret) for (const [k, v] of Object.entries(decodeSecret(obj))) data[k] = Buffer.from(v);
  else {
    for (const [k, v] of Object.entries(obj.data ?? {})) data[k] = Buffer.from(String(v));
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) data[k] = Buffer.from(String(v), "base64");
  }
  const mode = ref.defaultMode ?? 0o644;
  const out: Payload = {};
  if (ref.items?.length) {
    for (const item of ref.items) {
      if (!(item.key in data)) {
        if (ref.optional) continue;
        throw new VolumeError(volume, `configmap references non-existent config key: ${item.key}`);
      }
      out[item.path] = { data: data[item.key]!, mode: item.mode ?? mode };
    }
  } else {
    for (const [k, v] of Object.entries(data)) out[k] = { data: v, mode };
  }
  return out;
}

function hostPath(volume: string, hp: Json): string {
  const path = hp.path as string;
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
