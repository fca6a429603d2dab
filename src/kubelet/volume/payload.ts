/**
 * The files of configMap, secret, downwardAPI and projected volumes, as
 * upstream's volume plugins make their payloads: keys or items, each file's
 * mode (the item's, else the volume's defaultMode, 0644 unless set), and the
 * ownership an fsGroup asks for. Service-account tokens come in through a
 * callback, since they are fetched from the API server.
 */
import { fieldRefValue, formatMap, resourceFieldValue, type EnvSources } from "../container/env.js";
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Secret, ServiceAccountTokenProjection, Volume } from "kubernetes-types/core/v1.js";
import type { ResourceList } from "../node-status.js";
import type { Pod } from "../types.js";
import type { Payload } from "./atomic-writer.js";

export class VolumeError extends Error {
  constructor(readonly volume: string, message: string, options?: ErrorOptions) { super(message, options); }
}

/** What a payload needs besides the pod: the objects it shows and the node's allocatable resources. */
export interface PayloadSources {
  sources: Pick<EnvSources, "configMap" | "secret">;
  nodeAllocatable: () => ResourceList;
  /** The token of a serviceAccountToken source, at the path it names. */
  serviceAccountToken(pod: Pod, source: ServiceAccountTokenProjection): Promise<string>;
}

export const DEFAULT_MODE = 0o644;
/** What upstream's SetVolumeOwnership adds to every file of a read-only volume with an fsGroup. */
const FS_GROUP_READ = 0o440;

/**
 * The uid every container of the pod runs as, if they all run as the same
 * one (upstream's FsUserFrom): a projected token is then owned by it, so a
 * non-root container can read its 0600 token.
 */
export function fsUserOf(pod: Pod): number | undefined {
  const containers = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
  let user: number | undefined;
  for (const c of containers) {
    const u = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
    if (u === undefined || (user !== undefined && u !== user)) return undefined;
    user = u;
  }
  return user;
}

export async function volumePayload(pod: Pod, v: Volume, s: PayloadSources): Promise<Payload> {
  const ns = pod.metadata.namespace as string;
  const fsGroup = pod.spec.securityContext?.fsGroup;
  let out: Payload;
  if (v.configMap) out = keyed(configMapFiles(s.sources.configMap(ns, v.configMap.name ?? "")), v.configMap, v.configMap.defaultMode ?? DEFAULT_MODE, "configmap", v.name);
  else if (v.secret) out = keyed(secretFiles(s.sources.secret(ns, v.secret.secretName ?? "")), { ...v.secret, name: v.secret.secretName }, v.secret.defaultMode ?? DEFAULT_MODE, "secret", v.name);
  else if (v.downwardAPI) out = downward(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, s, v.name);
  else out = await projected(pod, v, s, fsGroup);
  if (fsGroup !== undefined) {
    for (const f of Object.values(out)) { f.mode |= FS_GROUP_READ; f.gid = fsGroup; }
  }
  return out;
}

/** Every source of a projected volume; the volume fails as a whole if any source fails, with every error said. */
async function projected(pod: Pod, v: Volume, s: PayloadSources, fsGroup: number | undefined): Promise<Payload> {
  const ns = pod.metadata.namespace as string;
  const mode = v.projected?.defaultMode ?? DEFAULT_MODE;
  const out: Payload = {};
  const errors: string[] = [];
  for (const src of v.projected?.sources ?? []) {
    try {
      if (src.configMap) Object.assign(out, keyed(configMapFiles(s.sources.configMap(ns, src.configMap.name ?? "")), src.configMap, mode, "configmap", v.name));
      else if (src.secret) Object.assign(out, keyed(secretFiles(s.sources.secret(ns, src.secret.name ?? "")), src.secret, mode, "secret", v.name));
      else if (src.downwardAPI) Object.assign(out, downward(pod, src.downwardAPI.items ?? [], mode, s, v.name));
      else if (src.serviceAccountToken) {
        const fsUser = fsUserOf(pod);
        // Upstream: 0600 when the volume gets an owner (fsUser or fsGroup), which the fsGroup then opens to 0640.
        const tokenMode = fsUser !== undefined || fsGroup !== undefined ? 0o600 : mode;
        const token = await s.serviceAccountToken(pod, src.serviceAccountToken);
        out[src.serviceAccountToken.path] = { data: Buffer.from(token), mode: tokenMode, ...(fsUser !== undefined ? { uid: fsUser } : {}) };
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new VolumeError(v.name, errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`);
  return out;
}

function downward(pod: Pod, items: DownwardAPIVolumeFile[], defaultMode: number, s: PayloadSources, volume: string): Payload {
  const out: Payload = {};
  for (const item of items) {
    let value = "";
    try {
      if (item.fieldRef) {
        const fp = item.fieldRef.fieldPath;
        // Whole maps as upstream writes them: key="value" lines, sorted.
        value = fp === "metadata.labels" || fp === "metadata.annotations"
          ? formatMap(fp === "metadata.labels" ? pod.metadata.labels : pod.metadata.annotations).split("\n").sort().join("\n")
          : fieldRefValue(pod, fp);
      } else if (item.resourceFieldRef) {
        const ref = item.resourceFieldRef;
        const c = (pod.spec.containers ?? []).find((x) => x.name === ref.containerName) ?? pod.spec.containers[0]!;
        value = resourceFieldValue(c, ref, s.nodeAllocatable());
      }
    } catch (err) {
      throw new VolumeError(volume, (err as Error).message);
    }
    out[item.path] = { data: Buffer.from(value), mode: item.mode ?? defaultMode };
  }
  return out;
}

/** A Secret's keys as file contents (data is base64). */
function secretFiles(secret: Secret | undefined): Record<string, Buffer> | undefined {
  if (!secret) return undefined;
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(String(v), "base64");
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(String(v));
  return data;
}

/** A ConfigMap's keys as file contents (binaryData is base64). */
function configMapFiles(cm: ConfigMap | undefined): Record<string, Buffer> | undefined {
  if (!cm) return undefined;
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(String(v));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(String(v), "base64");
  return data;
}

/** What a configMap or secret volume (or projection) says of its object: which, whether optional, which keys. */
interface KeyedRef { name?: string; optional?: boolean; items?: KeyToPath[] }

/** A configMap's or secret's keys (or the chosen items) as files; a missing optional object is an empty volume. */
function keyed(data: Record<string, Buffer> | undefined, ref: KeyedRef, mode: number, kind: "configmap" | "secret", volume: string): Payload {
  if (!data) {
    if (ref.optional) return {};
    throw new VolumeError(volume, `${kind} "${ref.name}" not found`);
  }
  const out: Payload = {};
  if (ref.items?.length) {
    for (const item of ref.items) {
      if (!(item.key in data)) {
        if (ref.optional) continue;
        throw new VolumeError(volume, kind === "configmap" ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
      }
      out[item.path] = { data: data[item.key]!, mode: item.mode ?? mode };
    }
  } else {
    for (const [k, v] of Object.entries(data)) out[k] = { data: v, mode };
  }
  return out;
}
