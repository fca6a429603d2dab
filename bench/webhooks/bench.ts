/**
 * Admission webhook benchmark (run on demand: `npm run bench:webhooks`).
 * Starts the built `skiff server` and a webhook server on loopback HTTPS
 * (test/helpers/webhook-server.ts, answering at once), and prints ConfigMap
 * creates per second and create latency (p50, p99) with 1 and with 16
 * concurrent clients: with no webhook, with one validating webhook, and
 * with one mutating webhook that adds a label. Every loop is bounded by a
 * count; nothing here asserts a time.
 */
import { parseArgs } from "node:util";
import { Client, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { startServer } from "../../test/helpers/skiff-server.js";
import { startWebhookServer } from "../../test/helpers/webhook-server.js";

const configMaps = { group: "", version: "v1", resource: "configmaps", namespaced: true };
const { values } = parseArgs({ options: { count: { type: "string", default: "1000" } } });
const COUNT = Number(values.count);

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function createMany(client: Client, namespace: string, prefix: string, concurrency: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < COUNT; i = next++) {
      const t = performance.now();
      await client.create(configMaps, namespace, { metadata: { name: `${prefix}-${i}` }, data: { k: "v" } } as KubeObject);
      latencies.push(performance.now() - t);
    }
  }));
  return { perSecond: COUNT / ((performance.now() - start) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function configuration(kind: "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration", url: string, caBundle: string): KubeObject {
  return {
    apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name: "bench" },
    webhooks: [{
      name: "bench.webhooks.example.com", clientConfig: { url, caBundle }, sideEffects: "None", admissionReviewVersions: ["v1"],
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
    }],
  } as KubeObject;
}

async function main(): Promise<void> {
  await using server = await startServer();
  await using hooks = await startWebhookServer();
  hooks.handle("/mutate", () => ({ allowed: true, patch: [{ op: "add", path: "/metadata/labels", value: { mutated: "yes" } }] }));
  const client = new Client(loadKubeconfig(server.kubeconfig));
  const admissionregistration = (resource: string) => ({ group: "admissionregistration.k8s.io", version: "v1", resource, namespaced: false });
  const rows: string[] = [];
  const run = async (label: string) => {
    const ns = `bench-${label.replace(/\W+/g, "-")}`;
    await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: ns } });
    for (const c of [1, 16]) {
      const r = await createMany(client, ns, `c${c}`, c);
      rows.push(`| ${label}, ${c} client${c > 1 ? "s" : ""} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} ms |`);
    }
  };
  // Waits until the server's cache of configurations holds the webhook.
  const active = async (path: string) => {
    hooks.received.length = 0;
    for (let i = 0; !hooks.received.some((r) => r.path === path) && i < 100; i++) {
      await client.create(configMaps, "default", { metadata: { name: `probe-${Date.now()}-${i}` } } as KubeObject).catch(() => undefined);
    }
    hooks.received.length = 0;
  };
  // Warm-up (JIT, caches, connections), not counted.
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: "bench-warm-up" } });
  await createMany(client, "bench-warm-up", "w", 16);
  await run("no webhook");
  await client.create(admissionregistration("validatingwebhookconfigurations"), undefined, configuration("ValidatingWebhookConfiguration", `${hooks.url}/validate`, hooks.caBundle));
  await active("/validate");
  await run("one validating webhook");
  await client.delete(admissionregistration("validatingwebhookconfigurations"), undefined, "bench");
  await client.create(admissionregistration("mutatingwebhookconfigurations"), undefined, configuration("MutatingWebhookConfiguration", `${hooks.url}/mutate`, hooks.caBundle));
  await active("/mutate");
  await run("one mutating webhook");
  console.log(`ConfigMap creates over HTTPS, ${COUNT} each:\n\n| figure | creates/s | latency p50 / p99 |\n|---|---|---|\n${rows.join("\n")}`);
}

await main();
