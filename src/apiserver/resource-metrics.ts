/**
 * metrics.k8s.io/v1beta1 (what `kubectl top` reads), served by the API
 * server itself from the kubelets' `/stats/summary`, asked on demand: the
 * part of metrics-server a one-process cluster needs. NodeMetrics and
 * PodMetrics carry upstream's fields: usage in cpu nanocores and memory
 * working set, a timestamp and the window the rate was taken over.
 */
import { notFound } from "../api/errors.js";
import { matchesLabels, parseLabelSelector } from "../api/selectors.js";
import type { KubeletProxy } from "./kubelet-proxy.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects as stored and summaries as the kubelet sends them

const API_VERSION = "metrics.k8s.io/v1beta1";
const WINDOW = "10s";

export interface MetricsSources {
  nodes(): Promise<Obj[]>;
  pods(namespace: string | undefined): Promise<Obj[]>;
}

const cpu = (nanoCores: number | undefined) => `${Math.round(nanoCores ?? 0)}n`;
const memory = (bytes: number | undefined) => `${Math.round((bytes ?? 0) / 1024)}Ki`;

export class ResourceMetrics {
  constructor(private readonly kubelets: KubeletProxy, private readonly sources: MetricsSources) {}

  /** GET of nodes or pods, one or a list; selectors as the storage-backed resources take them. */
  async get(resource: "nodes" | "pods", namespace: string | undefined, name: string | undefined, query: URLSearchParams): Promise<Obj> {
    const selector = parseLabelSelector(query.get("labelSelector") ?? "");
    const matches = (o: Obj) => matchesLabels(selector, o.metadata?.labels);
    const items = resource === "nodes" ? await this.nodeMetrics() : await this.podMetrics(namespace);
    if (name) {
      const one = items.find((i) => i.metadata.name === name);
      if (!one) throw notFound(resource === "nodes" ? "nodemetrics" : "podmetrics", "metrics.k8s.io", name);
      return one;
    }
    return { kind: resource === "nodes" ? "NodeMetricsList" : "PodMetricsList", apiVersion: API_VERSION, metadata: {}, items: items.filter(matches) };
  }

  /** Every node's summary, from the nodes whose kubelet answers (simulated nodes have none). */
  private async summaries(): Promise<{ node: Obj; summary: Obj }[]> {
    const nodes = await this.sources.nodes();
    const got = await Promise.all(nodes.map(async (node) => {
      const summary = await this.kubelets.summary(node).catch(() => undefined);
      return summary ? { node, summary } : undefined;
    }));
    return got.filter((g): g is { node: Obj; summary: Obj } => Boolean(g));
  }

  private async nodeMetrics(): Promise<Obj[]> {
    return (await this.summaries()).filter(({ summary }) => summary.node?.cpu?.usageNanoCores !== undefined).map(({ node, summary }) => ({
      kind: "NodeMetrics", apiVersion: API_VERSION,
      metadata: { name: node.metadata.name, labels: node.metadata.labels ?? {}, creationTimestamp: new Date().toISOString() },
      timestamp: summary.node.cpu.time, window: WINDOW,
      usage: { cpu: cpu(summary.node.cpu.usageNanoCores), memory: memory(summary.node.memory?.workingSetBytes) },
    }));
  }

  private async podMetrics(namespace: string | undefined): Promise<Obj[]> {
    const pods = new Map((await this.sources.pods(namespace)).map((p) => [p.metadata.uid as string, p]));
    const out: Obj[] = [];
    for (const { summary } of await this.summaries()) {
      for (const ps of summary.pods ?? []) {
        const pod = pods.get(ps.podRef?.uid);
        // A pod is reported once every container has a rate, as metrics-server does.
        if (!pod || !(ps.containers ?? []).every((c: Obj) => c.cpu?.usageNanoCores !== undefined)) continue;
        out.push({
          kind: "PodMetrics", apiVersion: API_VERSION,
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, labels: pod.metadata.labels ?? {}, creationTimestamp: new Date().toISOString() },
          timestamp: ps.cpu?.time, window: WINDOW,
          containers: (ps.containers as Obj[]).map((c) => ({ name: c.name, usage: { cpu: cpu(c.cpu.usageNanoCores), memory: memory(c.memory?.workingSetBytes) } })),
        });
      }
    }
    return out;
  }
}
