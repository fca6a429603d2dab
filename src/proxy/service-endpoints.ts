/** The ready endpoints of a Service port, read from its EndpointSlices: what every data path (kernel rules, the userspace relay, the ingress) sends traffic to. */
import type { KubeObject } from "../client/index.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON
type Obj = KubeObject & Json;

export interface Endpoint { ip: string; port: number; nodeName?: string }

/** The slices of every Service, by `namespace/name`, in one pass. */
export function slicesByService(slices: Obj[]): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const sl of slices) {
    const name = sl.metadata.labels?.["kubernetes.io/service-name"];
    if (!name) continue;
    const key = `${sl.metadata.namespace}/${name}`;
    const list = out.get(key);
    if (list) list.push(sl);
    else out.set(key, [sl]);
  }
  return out;
}

/**
 * The ready endpoints for a Service port (matched by the port's name and
 * protocol, as slices name them), sorted so that equal sets compare equal;
 * with onlyNode, those on that node (traffic policy Local).
 */
export function readyEndpoints(slices: Obj[], portName: string | undefined, protocol: string, onlyNode?: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const slice of slices) {
    const port = (slice.ports as Json[] | undefined)?.find((p) => (p.name ?? "") === (portName ?? "") && (p.protocol ?? "TCP") === protocol);
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || !e.addresses?.length) continue;
      if (onlyNode && e.nodeName !== onlyNode) continue;
      out.push({ ip: e.addresses[0], port: port.port, nodeName: e.nodeName });
    }
  }
  return out.sort((a, b) => (a.ip + a.port).localeCompare(b.ip + b.port));
}
