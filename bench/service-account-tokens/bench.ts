/**
 * Service-account token authentication benchmark (on demand:
 * `npm run build && node dist/bench/service-account-tokens/bench.js`).
 * Prints the cost of one authentication of a pod-bound token in-process,
 * with the result cache off and on, and requests per second against the
 * built `skiff server` from a client that presents a service-account token
 * (GET /version: authentication is most of the work), with the server's CPU
 * time per request, steadier than wall time on a busy machine. Nothing here
 * asserts a time.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod, ServiceAccount } from "kubernetes-types/core/v1.js";
import { ServiceAccountTokenAuthenticator } from "../../src/apiserver/authentication/service-account-token.js";
import { Client, loadKubeconfig } from "../../src/client/index.js";
import { boundClaims, serviceAccountKeyFromPem, signServiceAccountToken } from "../../src/pki/index.js";
import { startServer } from "../../test/helpers/skiff-server.js";

/** The CPU time a process has used (user and system), from /proc: steadier than wall time on a busy machine. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function inProcess(): Promise<void> {
  const key = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  const sa: ServiceAccount = { metadata: { name: "default", namespace: "default", uid: "sa-uid" } };
  const pod: Pod = { metadata: { name: "web", namespace: "default", uid: "pod-uid" }, spec: { containers: [], nodeName: "n1" } };
  const getters = { getServiceAccount: async () => sa, getPod: async () => pod, getSecret: async () => undefined, getNode: async () => undefined };
  const token = await signServiceAccountToken(key, boundClaims({ serviceAccount: sa, pod, expirationSeconds: 3600, audiences: ["https://kubernetes.default.svc.cluster.local"] }));
  for (const [name, cache] of [["cache off", false], ["cache on", undefined]] as const) {
    const auth = new ServiceAccountTokenAuthenticator({ ...getters, keys: [key.publicKey], cache });
    const n = 20_000;
    for (let i = 0; i < 1_000; i++) await auth.authenticateToken(token);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await auth.authenticateToken(token);
    const us = Number(process.hrtime.bigint() - start) / n / 1000;
    console.log(`in-process, pod-bound token, ${name.padEnd(10)} ${us.toFixed(1).padStart(7)} µs/authentication`);
  }
}

async function overHttps(): Promise<void> {
  await using server = await startServer();
  const admin = new Client(loadKubeconfig(server.kubeconfig));
  // The default service account exists once its controller has made it.
  let token = "";
  for (let tries = 0; !token; tries++) {
    const answer = await admin.request<{ status?: { token?: string } }>("POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } }).catch((err: Error) => { if (tries > 100) throw err; return undefined; });
    token = answer?.status?.token ?? "";
    if (!token) await new Promise((r) => setTimeout(r, 100));
  }
  const client = new Client({ server: server.url, ca: readFileSync(join(server.dataDir, "tls", "ca.crt"), "utf8"), token });
  for (const concurrency of [1, 8]) {
    const n = 4_000;
    let next = 0;
    for (let i = 0; i < 200; i++) await client.request("GET", "/version");
    const start = performance.now();
    const cpuBefore = cpuSeconds(server.process.pid!);
    await Promise.all(Array.from({ length: concurrency }, async () => { for (let i = next++; i < n; i = next++) await client.request("GET", "/version"); }));
    const cpu = cpuSeconds(server.process.pid!) - cpuBefore;
    const perSecond = n / ((performance.now() - start) / 1000);
    console.log(`HTTPS GET /version as a service account, ${concurrency} client(s): ${perSecond.toFixed(0)} requests/s, server CPU ${(cpu / n * 1e6).toFixed(0)} µs/request (${n})`);
  }
}

await inProcess();
await overHttps();
