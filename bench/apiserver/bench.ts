/**
 * API server benchmark (run on demand: `npm run bench:apiserver`, add
 * `-- --datastore-endpoint http://127.0.0.1:2379` for etcd). Starts the built
 * `skiff server` on a temporary data directory and prints:
 *   - pod creates per second over HTTPS with 1 and with 32 concurrent clients,
 *   - get and list latency (p50, p99) with 10,000 pods stored,
 *   - watch delivery latency to 100 watchers,
 *   - the server's resident memory with 10,000 pods,
 *   - Service creates per second with 1 and with 32 concurrent clients.
 * Every loop is bounded by a count; nothing here asserts a time.
 */
import { readFileSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { join } from "node:path";
import { startServer } from "../../test/helpers/skiff-server.js";
import { ensurePki, issueClientCertificate } from "../../src/pki/index.js";

const pods = { group: "", version: "v1", resource: "pods", namespaced: true };
const services = { group: "", version: "v1", resource: "services", namespaced: true };
const { values } = parseArgs({ options: { "datastore-endpoint": { type: "string" }, pods: { type: "string", default: "10000" } } });
const TOTAL = Number(values.pods);

function pod(name: string): KubeObject {
  return {
    metadata: { name, labels: { app: "bench", shard: String(name.length % 10) } },
    spec: { containers: [{ name: "app", image: "busybox:1.36", command: ["sleep", "3600"], resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
  };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function service(name: string, type: "ClusterIP" | "NodePort"): KubeObject {
  return { metadata: { name }, spec: { type, selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } };
}

async function createMany(client: Client, namespace: string, prefix: string, count: number, concurrency: number, resource = pods, serviceType?: "ClusterIP" | "NodePort"): Promise<number> {
  let next = 0;
  const start = performance.now();
  const build = (name: string) => (serviceType ? service(name, serviceType) : pod(name));
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < count; i = next++) await client.create(resource, namespace, build(`${prefix}-${i}`));
  }));
  return count / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const server = await startServer({ datastoreEndpoint: values["datastore-endpoint"], keepDataDir: true });
  const config = loadKubeconfig(server.kubeconfig);
  const client = new Client(config);
  const ns = `bench-${Date.now()}`;
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: ns } });
  const backend = values["datastore-endpoint"] ? `etcd (${values["datastore-endpoint"]})` : "SQLite";
  console.log(`skiff apiserver benchmark — datastore ${backend}, ${TOTAL} pods, node ${process.version}`);
  console.log(`idle server RSS: ${rssMiB(server.process.pid!).toFixed(0)} MiB`);

  const one = await createMany(client, ns, "serial", 1000, 1);
  console.log(`creates/s, 1 client:    ${one.toFixed(0)}  (1,000 pods)`);
  const many = await createMany(client, ns, "parallel", TOTAL - 1000, 32);
  console.log(`creates/s, 32 clients:  ${many.toFixed(0)}  (${TOTAL - 1000} pods)`);

  const gets: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await client.get(pods, ns, `parallel-${(i * 17) % (TOTAL - 1000)}`);
    gets.push(performance.now() - t);
  }
  console.log(`get latency:            p50 ${ms(percentile(gets, 50))}, p99 ${ms(percentile(gets, 99))}  (500 gets)`);

  const lists: number[] = [];
  let listed = 0;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    listed = (await client.list(pods, ns)).items.length;
    lists.push(performance.now() - t);
  }
  console.log(`list of ${listed} pods:    p50 ${ms(percentile(lists, 50))}, p99 ${ms(percentile(lists, 99))}  (10 lists)`);
  const selected: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await client.list(pods, ns, { labelSelector: "shard=3" });
    selected.push(performance.now() - t);
  }
  console.log(`list with a label selector: p50 ${ms(percentile(selected, 50))}`);
  console.log(`server RSS with ${TOTAL} pods: ${rssMiB(server.process.pid!).toFixed(0)} MiB`);

  // 100 watchers over one namespace; each create's delivery time is measured per watcher.
  const watchNs = `${ns}-watch`;
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: watchNs } });
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  const abort = new AbortController();
  const rv = (await client.list(pods, watchNs)).metadata.resourceVersion;
  const watchers = Array.from({ length: 100 }, () => {
    const c = new Client(config);
    return c.watch(pods, watchNs, { resourceVersion: rv }, (e) => {
      const sent = sentAt.get(String(e.object.metadata.name));
      if (e.type === "ADDED" && sent !== undefined) delays.push(performance.now() - sent);
    }, abort.signal).catch(() => undefined).finally(() => c.close());
  });
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < 50; i++) {
    const name = `w-${i}`;
    sentAt.set(name, performance.now());
    await client.create(pods, watchNs, pod(name));
    await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = Date.now() + 10_000;
  while (delays.length < 5000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  abort.abort();
  await Promise.all(watchers);
  console.log(`watch delivery, 100 watchers: p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}  (${delays.length} of 5000 deliveries, measured from before the create request)`);

  // The same creates by a user whom RBAC must decide for (a RoleBinding to edit), where the admin's
  // system:masters is allowed before RBAC is asked: what authorization costs a create.
  const rbacNs = `${ns}-rbac`;
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: rbacNs } });
  await client.create({ group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", namespaced: true }, rbacNs, {
    metadata: { name: "bench-user-edit" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bench-user" }],
  } as KubeObject);
  const pki = await ensurePki(join(server.dataDir, "tls"));
  const { cert, key } = await issueClientCertificate(pki, "bench-user", ["bench"]);
  const user = new Client({ server: config.server, ca: config.ca, cert, key });
  const asUser = await createMany(user, rbacNs, "rbac", 2000, 32);
  console.log(`creates/s, 32 clients as an RBAC-bound user: ${asUser.toFixed(0)}  (2,000 pods; the admin's figure above skips RBAC)`);
  user.close();

  // Services take a ClusterIP (and NodePorts) from the allocation records in storage, one compare-and-swap each.
  const svcNs = `${ns}-services`;
  await client.create({ group: "", version: "v1", resource: "namespaces", namespaced: false }, undefined, { metadata: { name: svcNs } });
  const svcOne = await createMany(client, svcNs, "svc-serial", 500, 1, services, "NodePort");
  console.log(`service creates/s, 1 client:   ${svcOne.toFixed(0)}  (500 NodePort Services)`);
  const svcMany = await createMany(client, svcNs, "svc-parallel", 2000, 32, services, "ClusterIP");
  console.log(`service creates/s, 32 clients: ${svcMany.toFixed(0)}  (2,000 ClusterIP Services)`);

  client.close();
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
