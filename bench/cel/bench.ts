/**
 * What CEL validation rules cost a custom object's create (run on demand:
 * `npm run bench:cel`). Starts the built `skiff server`, installs two CRDs
 * alike but for their rules (none, and five rules on spec and one on each
 * item of a list), and prints for each: creates per second with 1 and with
 * 32 concurrent clients and the p50/p99 latency of serial creates; then, in
 * process, the time of one object's validation by the rules alone. Every
 * loop is bounded by a count; nothing here asserts a time.
 */
import { parseArgs } from "node:util";
import { Client, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { SchemaValidator, type Schema } from "../../src/apiserver/cel/index.js";
import { startServer } from "../../test/helpers/skiff-server.js";

const { values } = parseArgs({ options: { objects: { type: "string", default: "2000" } } });
const TOTAL = Number(values.objects);

const rules = [
  { rule: "self.replicas <= self.maxReplicas", message: "replicas must not exceed maxReplicas" },
  { rule: "!has(self.minReplicas) || self.minReplicas <= self.replicas", messageExpression: "'at least ' + string(self.minReplicas)" },
  { rule: "self.name.matches('^[a-z][a-z0-9-]*$')" },
  { rule: "quantity(self.memory).isLessThan(quantity('4Gi'))" },
  { rule: "self.tags.isSorted()" },
];

function schema(withRules: boolean): Schema {
  return {
    type: "object",
    properties: {
      spec: {
        type: "object",
        ...(withRules ? { "x-kubernetes-validations": rules } : {}),
        properties: {
          replicas: { type: "integer" }, minReplicas: { type: "integer" }, maxReplicas: { type: "integer" },
          name: { type: "string", maxLength: 63 }, memory: { type: "string", maxLength: 16 },
          tags: { type: "array", maxItems: 16, items: { type: "string", maxLength: 32, ...(withRules ? { "x-kubernetes-validations": [{ rule: "self.size() > 0" }] } : {}) } },
        },
      },
    },
  };
}

const spec = { replicas: 2, minReplicas: 1, maxReplicas: 3, name: "web", memory: "1Gi", tags: ["a", "b", "c"] };

function crd(plural: string, withRules: boolean): KubeObject {
  return {
    metadata: { name: `${plural}.bench.example.com` },
    spec: { group: "bench.example.com", scope: "Namespaced", names: { plural, kind: plural[0]!.toUpperCase() + plural.slice(1, -1) }, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: schema(withRules) } }] },
  } as KubeObject;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function creates(client: Client, plural: string, count: number, concurrency: number, latencies?: number[]): Promise<number> {
  const resource = { group: "bench.example.com", version: "v1", resource: plural, namespaced: true };
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < count; i = next++) {
      const t = performance.now();
      await client.create(resource, "default", { metadata: { name: `${plural}-${concurrency}-${i}` }, spec } as KubeObject);
      latencies?.push(performance.now() - t);
    }
  }));
  return count / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  await using server = await startServer();
  const client = new Client(loadKubeconfig(server.kubeconfig));
  const crds = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", namespaced: false };
  console.log(`skiff CEL benchmark — ${TOTAL} objects a run, node ${process.version}`);
  for (const [plural, withRules] of [["plainwidgets", false], ["celwidgets", true]] as const) {
    await client.create(crds, undefined, crd(plural, withRules));
    for (let i = 0; ; i++) {
      try { await client.list({ group: "bench.example.com", version: "v1", resource: plural, namespaced: true }, "default"); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
    }
    await creates(client, plural, 300, 8); // warm-up: the first creates of a resource pay for compilation and JIT
    const latencies: number[] = [];
    const one = await creates(client, plural, Math.min(500, TOTAL), 1, latencies);
    const many = await creates(client, plural, TOTAL, 32);
    console.log(`${withRules ? "6 CEL rules" : "no rules   "}: creates/s 1 client ${one.toFixed(0)}, 32 clients ${many.toFixed(0)}; serial create p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  }
  client.close();

  const v = new SchemaValidator(schema(true));
  const obj = { apiVersion: "bench.example.com/v1", kind: "Celwidget", metadata: { name: "w" }, spec };
  const n = 20_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) v.validate(obj);
  console.log(`in process: one object's 6 rules (5 on spec, 1 on each of 3 items) ${(((performance.now() - t) / n) * 1000).toFixed(1)} µs`);
}

await main();
