/**
 * metrics.k8s.io/v1beta1 (what `kubectl top` and the HPA controller read),
 * served by the API server itself from the kubelets' `/stats/summary`: the
 * part of metrics-server a one-process cluster needs. NodeMetrics and
 * PodMetrics carry upstream's fields: usage in cpu nanocores and memory
 * working set, a timestamp and the window the rate was taken over.
 *
 * As metrics-server keeps the last scrape in memory (every
 * --metric-resolution), one scrape of every kubelet serves all requests for
 * a few seconds: the HPA controller asks once per autoscaler per sync period,
 * and a thousand autoscalers must not mean a thousand scrapes of every node.
 */
import { notFound } from "../api/errors.js";
import { matchesLabels, parseLabelSelector } from "../api/selectors.js";
import type { KubeletProxy } from "./kubelet-proxy.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects as stored and summaries as the kubelet sends them

const API_VERSION = "metrics.k8s.io/v1beta1";
const WINDOW = "10s";
/** How long one scrape of the kubelets answers for (the kubelets' rates move over 10 s windows anyway). */
const SCRAPE_TTL_MS = 5_000;

interface NodeSummary { node: Obj; summary: Obj }

export interface MetricsSources {
  nodes(): Promise<Obj[]>;
  /** The pods of a namespace (all namespaces when undefined). */
  pods(namespace: string | undefined): Promise<Obj[]>;
}

const cpu = (nanoCores: number | undefined) => `${Math.round(nanoCores ?? 0)}n`;
const memory = (bytes: number | undefined) => `${Math.round((bytes ?? 0) / 1024)}Ki`;

export class ResourceMetrics {
  private scrape: { at: number; result: Promise<NodeSummary[]> } | undefined;

  constructor(private readonly kubelets: KubeletProxy, private readonly sources: MetricsSources, private readonly now: () => number = Date.now) {}

  /** GET of nodes or pods, one or a list; selectors as the storage-backed resources take them. */
  async get(resource: "nodes" | "pods", namespace: string | undefined, name: string | undefined, query: URLSearchParams): Promise<Obj> {
    const selector = parseLabelSelector(query.get("labelSelector") ?? "");
    const matches = (o: Obj) => matchesLabels(selector, o.metadata?.labels);
    const wanted = (o: Obj) => (name ? o.metadata?.name === name : matches(o));
    const items = resource === "nodes" ? (await this.nodeMetrics()).filter(wanted) : await this.podMetrics(namespace, wanted);
    if (name) {
      const one = items[0];
      if (!one) throw notFound(resource === "nodes" ? "nodemetrics" : "podmetrics", "metrics.k8s.io", name);
      return one;
    }
    return { kind: resource === "nodes" ? "NodeMetricsList" : "PodMetricsList", apiVersion: API_VERSION, metadata: {}, items };
  }

  /** The last scrape while it is fresh, shared by every request that comes meanwhile (also while it is under way). */
  private summaries(): Promise<NodeSummary[]> {
    const now = this.now();
    if (this.scrape && now - this.scrape.at < SCRAPE_TTL_MS) return this.scrape.result;
    const result = this.scrapeKubelets();
    this.scrape = { at: now, result };
    // A failed scrape is not kept: the next request tries again.
    result.catch(() => { if (this.scrape?.result === result) this.scrape = undefined; });
    return result;
  }

  /** Every node's summary, from the nodes whose kubelet answers. */
  private async scrapeKubelets(): Promise<NodeSummary[]> {
    const nodes = await this.sources.nodes();
    const got = await Promise.all(nodes.map(async (node) => {
      const summary = await this.kubelets.summary(node).catch(() => undefined);
      return summary ? { node, summary } : undefined;
    }));
    return got.filter((g): g is NodeSummary => Boolean(g));
  }

  private async nodeMetrics(): Promise<Obj[]> {
    return (await this.summaries()).filter(({ summary }) => summary.node?.cpu?.usageNanoCores !== undefined).map(({ node, summary }) => ({
      kind: "NodeMetrics", apiVersion: API_VERSION,
      metadata: { name: node.metadata.name, labels: node.metadata.labels ?? {}, creationTimestamp: new Date().toISOString() },
      timestamp: summary.node.cpu.time, window: WINDOW,
      usage: { cpu: cpu(summary.node.cpu.usageNanoCores), memory: memory(summary.node.memory?.workingSetBytes) },
    }));
  }

  /** The pods the request asks for (selected before anything is built: an HPA asks for a few of many). */
  private async podMetrics(namespace: string | undefined, wanted: (pod: Obj) => boolean): Promise<Obj[]> {
    const pods = new Map((await this.sources.pods(namespace)).filter(wanted).map((p) => [p.metadata.uid as string, p]));
    const out: Obj[] = [];
    if (!pods.size) return out;
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
