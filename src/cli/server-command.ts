/** `skiff server`: the control plane of a one-node cluster, in one process. */
import { setMaxListeners } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ApiServer, VERSION_INFO, adminKubeconfig, ensurePki } from "../apiserver/index.js";
import { AuditMetrics, Auditor, LogBackend, loadPolicy } from "../apiserver/audit/index.js";
import { issueClientCertificate, NODE_COMPONENT_USERS, parseBootstrapToken, readServerBootstrap, type BootstrapToken, type Pki } from "../pki/index.js";
import { ensureJoinToken, serverBootstrapToken } from "./join-token.js";
import { joinServer, serverJoinToken } from "./server-join.js";
import { chooseRuntime, networkBackendFlag, startAgent, type AgentClients, type ProxyModeChoice, type RuntimeChoice } from "../agent/index.js";
import { KubeDnsService } from "../dns/index.js";
import { ServiceLB } from "../proxy/index.js";
import { Client, LeaderElectionMetrics, WorkQueueMetrics, loadKubeconfig } from "../client/index.js";
import { Registry } from "../metrics/index.js";
import { componentLog, runElected } from "./component-commands.js";
import { ControllerManager } from "../controllers/manager.js";
import { ServiceAccountCredentials } from "../controllers/service-account-credentials.js";
import { SimNodes } from "../kubelet/runtime/sim/sim-nodes.js";
import { simUsageOptions } from "./sim-command.js";
import { Scheduler, SchedulerMetrics } from "../scheduler/index.js";
import { encryptStore, ensureSecretsEncryptionConfig, openStore } from "../storage/index.js";
import { builtinResources } from "../api/resources.js";
import { listenForStop } from "./stop-signal.js";
import { autoscalerFlags, autoscalerOptions, autoscalerUsage } from "./autoscaler-flags.js";

export const serverUsage = `Usage: skiff server [flags]

Flags:
  --data-dir DIR               state, certificates and kubeconfig (default ./data)
  --bind-address ADDR          address to serve the API on (default 127.0.0.1)
  --port N                     HTTPS port (default 6443; 0 picks a free one)
  --datastore-endpoint URL     http://host:2379 for etcd, sqlite://path for SQLite (default: SQLite in the data dir)
  --server URL                 join the cluster of the server at https://HOST:PORT as another server of its
                               control plane (needs --token, and --datastore-endpoint naming that server's etcd)
  --token TOKEN                the server token: K10<CA sha256>::<id>.<secret> as the first server's
                               DATA_DIR/node-token holds it (to join), or <id>.<secret> to choose it on first start
  --write-kubeconfig FILE      where to write the admin kubeconfig (default DATA_DIR/kubeconfig.yaml)
  --sim-nodes N                register N simulated nodes that run pods without running anything (default 0)
  --sim-usage-fraction F       the share of its requests a simulated pod is reported to use (default 0.1;
                               annotation skiff.dev/simulated-cpu-usage or -memory-usage overrides it per pod)
  --sim-usage-noise F          how far a simulated sample strays from that, either way (default 0.1)
  --disable-controllers        run the API server alone, without scheduler and controllers
  --node-monitor-grace-period S  seconds a node may go without renewing its Lease before it is Unknown (default 40)
${autoscalerUsage}  --runtime auto|cri|process|none  the local node's container runtime (default auto: cri where containerd and root
                               are available, else process: containers as host processes)
  --node-name NAME             the local node's name (default the host name)
  --kubelet-port N             the kubelet's HTTPS port on the node address (default 10250; 0 picks a free one)
  --pod-bridge NAME            the Linux bridge of the node's pod network (default skiff0)
  --node-ip ADDR               this node's address that agents' nodes reach, where the pod network between
                               nodes runs
  --network-backend vxlan|host-gw|none  the pod network between nodes (default vxlan; needs --node-ip)
  --proxy-mode auto|nftables|iptables  how Services are programmed in the kernel (default auto: nftables where nft
                               is installed, else iptables)
  --ingress-http-port N        the built-in ingress controller's HTTP port on the node (default 80; 0 picks a free one)
  --ingress-https-port N       its HTTPS port (default 443; 0 picks a free one)
  --disable-ingress            run no ingress controller (IngressClass skiff)
  --secrets-encryption         encrypt Secrets at rest with an aescbc key made on first start
                               (DATA_DIR/tls/encryption-config.json, as k3s)
  --encryption-provider-config FILE  an EncryptionConfiguration (apiserver.config.k8s.io/v1) saying which
                               resources are encrypted and with which providers (aescbc, aesgcm, identity)
  --audit-policy-file FILE     an audit Policy (audit.k8s.io/v1): which requests are logged, at which level
  --audit-log-path FILE        where audit events go, one JSON Event a line ("-" for stdout); with a policy
  --audit-log-maxage DAYS      days to keep rotated audit logs (default 0: no limit)
  --audit-log-maxbackup N      rotated audit logs to keep (default 0: no limit)
  --audit-log-maxsize MB       size at which the audit log is rotated (default 0: 100 MB)
  --service-account-issuer URL  the iss of service-account tokens (default https://kubernetes.default.svc.cluster.local)
  --api-audiences A,B          audiences a token must name to call the API (default the issuer)
  --service-account-max-token-expiration DURATION  longest token TokenRequest issues, e.g. 24h (default: no maximum)
`;

const log = componentLog("apiserver");

function isLoopback(address: string): boolean {
  return address === "localhost" || address === "::1" || /^127\./.test(address);
}

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string", default: "data" },
      "bind-address": { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "6443" },
      "datastore-endpoint": { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      "write-kubeconfig": { type: "string" },
      "sim-nodes": { type: "string", default: "0" },
      "sim-usage-fraction": { type: "string", default: "0.1" },
      "sim-usage-noise": { type: "string", default: "0.1" },
      "disable-controllers": { type: "boolean", default: false },
      "node-monitor-grace-period": { type: "string", default: "40" },
      ...autoscalerFlags,
      runtime: { type: "string", default: "auto" },
      "node-name": { type: "string" },
      "kubelet-port": { type: "string", default: "10250" },
      "pod-bridge": { type: "string", default: "skiff0" },
      "proxy-mode": { type: "string", default: "auto" },
      "node-ip": { type: "string" },
      "network-backend": { type: "string", default: "vxlan" },
      "ingress-http-port": { type: "string", default: "80" },
      "ingress-https-port": { type: "string", default: "443" },
      "disable-ingress": { type: "boolean", default: false },
      "secrets-encryption": { type: "boolean", default: false },
      "encryption-provider-config": { type: "string" },
      "audit-policy-file": { type: "string" },
      "audit-log-path": { type: "string" },
      "audit-log-maxage": { type: "string", default: "0" },
      "audit-log-maxbackup": { type: "string", default: "0" },
      "audit-log-maxsize": { type: "string", default: "0" },
      "service-account-issuer": { type: "string" },
      "api-audiences": { type: "string" },
      "service-account-max-token-expiration": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(serverUsage);
    return 0;
  }
  // Each step is bounded on its own; should one still hang, the process says which and ends rather than
  // holding its ports and data directory until it is killed (a supervisor would SIGKILL it anyway).
  // The bound runs from the signal: one that comes during start-up also waits for start-up to finish.
  let step = "start-up";
  let t0 = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const stop = listenForStop((signal) => {
    t0 = Date.now();
    log("stopping", { signal, ...(step === "start-up" ? { during: step } : {}) });
    watchdog = setTimeout(() => {
      log("shutdown did not finish", { step, ms: Date.now() - t0 });
      process.exit(1);
    }, step === "start-up" ? SHUTDOWN_LIMIT_MS + START_UP_LIMIT_MS : SHUTDOWN_LIMIT_MS).unref();
  });
  const horizontalPodAutoscaler = autoscalerOptions(values);
  const dataDir = resolve(values["data-dir"]!);
  mkdirSync(dataDir, { recursive: true });
  const bind = values["bind-address"]!;
  const servedSans = bind === "0.0.0.0" || bind === "::" ? [] : [bind];
  const tlsDir = join(dataDir, "tls");
  const givenToken = values.token ? givenServerToken(values.token) : undefined;
  if (values.server) {
    if (!values.token) throw new Error("--server needs --token: the first server's DATA_DIR/node-token");
    // Each server has its own client of the one etcd; SQLite is one machine's file and cannot be shared.
    if (!/^https?:\/\//.test(values["datastore-endpoint"] ?? "")) throw new Error("--server needs --datastore-endpoint naming the etcd cluster the first server uses");
    if (await joinServer(values.server, values.token, tlsDir)) log("joined", { server: values.server });
  }
  const pki = await ensurePki(tlsDir, servedSans);
  // Before the server listens: a server that joins asks for the shared secrets with this token.
  const serverToken = serverBootstrapToken(tlsDir, givenToken);
  const encryptionConfig = values["encryption-provider-config"] ?? (values["secrets-encryption"] ? ensureSecretsEncryptionConfig(join(dataDir, "tls", "encryption-config.json")) : undefined);
  const backing = openStore({ dataDir, datastoreEndpoint: values["datastore-endpoint"] });
  const store = encryptionConfig ? encryptStore(backing, resolve(encryptionConfig), builtinResources) : backing;
  // One process: the API server's /metrics serves the scheduler's, the controller manager's and the kubelet's families too.
  const componentMetrics = new Registry();
  const audit = auditorFrom(values, new AuditMetrics(componentMetrics));
  const maxExpiration = values["service-account-max-token-expiration"];
  const serviceAccounts = {
    issuer: values["service-account-issuer"],
    apiAudiences: values["api-audiences"]?.split(",").map((a) => a.trim()).filter(Boolean),
    maxTokenExpirationSeconds: maxExpiration ? durationSeconds(maxExpiration, "--service-account-max-token-expiration") : undefined,
  };
  // The node's families (the kubelet's, the proxy's, the cluster DNS's), once it runs.
  let nodeMetrics: () => Registry[] = () => [];
  const server = new ApiServer({
    store, pki, bindAddress: bind, port: Number(values.port), log, audit: audit?.auditor, serviceAccounts,
    metricsAlso: () => [componentMetrics, ...nodeMetrics()],
    serverBootstrap: { token: `${serverToken.id}.${serverToken.secret}`, data: () => readServerBootstrap(tlsDir) },
  });
  await server.start();
  const kubeconfig = resolve(values["write-kubeconfig"] ?? join(dataDir, "kubeconfig.yaml"));
  writeFileSync(kubeconfig, adminKubeconfig(pki, server.url), { mode: 0o600 });
  // The join token, as k3s keeps it: further nodes join with `skiff agent --server URL --token TOKEN`
  // (written before the server says it listens, so whoever waits for that finds it).
  const nodeTokenFile = await ensureJoinToken(new Client(loadKubeconfig(kubeconfig)), pki, dataDir, undefined, serverToken);
  const backend = values["datastore-endpoint"]?.startsWith("http") ? `etcd at ${values["datastore-endpoint"]}` : "SQLite";
  log("serving", { url: server.url, datastore: backend, kubeconfig });
  process.stdout.write(`Skiff API server listening on ${server.url} (datastore: ${backend})\n`);
  process.stdout.write(`Point kubectl at it:\n  export KUBECONFIG=${kubeconfig}\n  kubectl get namespaces\n`);
  process.stdout.write(`Join another node:\n  skiff agent --server ${server.url} --token $(cat ${nodeTokenFile})\n`);
  if (values["datastore-endpoint"]?.startsWith("http")) {
    process.stdout.write(`Join another server:\n  skiff server --server ${server.url} --token $(cat ${nodeTokenFile}) --datastore-endpoint ${values["datastore-endpoint"]}\n`);
  }

  const components = new AbortController();
  // Every informer and loop of the in-process components listens on this one signal.
  setMaxListeners(0, components.signal);
  if (!values["disable-controllers"]) {
    // The built-in components take part in leader election like any other, so a
    // separately run controller manager or scheduler never acts alongside them.
    const client = await componentClient(pki, server.url, "system:kube-controller-manager");
    const schedulerClient = await componentClient(pki, server.url, "system:kube-scheduler");
    // A stable identity lets a restarted server take its Lease back at once; the address tells apart
    // servers of one host (on one port, as HA servers on loopback addresses of one machine are).
    const election = {
      elect: true, identity: `skiff-server_${hostname()}_${new URL(server.url).host}`, leaseMs: 15_000, renewMs: 10_000, retryMs: 2_000,
      metrics: new LeaderElectionMetrics(componentMetrics),
    };
    // Made once: the manager and the scheduler are made again each time they win the election.
    const workqueueMetrics = new WorkQueueMetrics(componentMetrics);
    const schedulerMetrics = new SchedulerMetrics(componentMetrics);
    // Each controller acts as its own service account, as upstream's --use-service-account-credentials.
    const credentials = new ServiceAccountCredentials(client, componentLog("controller-manager"));
    components.signal.addEventListener("abort", () => credentials.stop(), { once: true });
    void runElected(client, "kube-controller-manager", election, components.signal, (leading) => {
      new ControllerManager(client, {
        clientFor: (name) => credentials.clientFor(name), workqueueMetrics,
        log: componentLog("controller-manager"), nodeMonitorGracePeriodMs: Number(values["node-monitor-grace-period"]) * 1000,
        // Simulated nodes get volumes too (made, never mounted), so claims bind there as on real nodes.
        localStorageDir: values.runtime === "none" && !Number(values["sim-nodes"]) ? undefined : join(dataDir, "storage"),
        signer: pki.sign,
        rootCaPem: pki.caCert,
        serviceAccountKey: pki.serviceAccountKey,
        horizontalPodAutoscaler,
      }).start(leading);
    }, componentLog("controller-manager"));
    void runElected(schedulerClient, "kube-scheduler", election, components.signal, (leading) => {
      new Scheduler(schedulerClient, { log: componentLog("scheduler"), metrics: schedulerMetrics }).start(leading);
    }, componentLog("scheduler"));
    const simCount = Number(values["sim-nodes"]);
    // Simulated nodes stand for many kubelets at once; like KWOK they act with the admin's credentials.
    if (simCount > 0) await new SimNodes(new Client(loadKubeconfig(kubeconfig)), {
      count: simCount, log: componentLog("sim"),
      // They answer /stats/summary on loopback with the server's certificate, as the local kubelet does.
      statsTls: { caCert: pki.caCert, serverCert: pki.serverCert, serverKey: pki.serverKey },
      usage: simUsageOptions(values["sim-usage-fraction"]!, values["sim-usage-noise"]!),
    }).start(components.signal);
    log("components started", { controllers: true, scheduler: true, simNodes: simCount });
  }
  const runtime = values.runtime as RuntimeChoice;
  if (!["auto", "cri", "process", "none"].includes(runtime)) throw new Error(`--runtime must be auto, cri, process or none, not ${JSON.stringify(runtime)}`);
  const networkBackend = networkBackendFlag(values["network-backend"]!);
  if (!["auto", "nftables", "iptables"].includes(values["proxy-mode"]!)) throw new Error(`--proxy-mode must be auto, nftables or iptables, not ${JSON.stringify(values["proxy-mode"])}`);
  const agentLog = componentLog("kubelet");
  const nodeName = (values["node-name"] ?? hostname()).toLowerCase();
  // The server's add-ons for the whole cluster: the one kube-dns Service with every node's DNS server as its
  // endpoints, and ServiceLB's status from the nodes' addresses. Idempotent, so several servers may run them.
  const addons = await componentClient(pki, server.url, "system:skiff-controller");
  await new KubeDnsService(addons, componentLog("kube-dns")).start(components.signal);
  await new ServiceLB(addons, componentLog("servicelb")).start(components.signal);
  const agentClients: AgentClients = {
    kubelet: await componentClient(pki, server.url, `system:node:${nodeName}`, ["system:nodes"]),
    proxy: await componentClient(pki, server.url, NODE_COMPONENT_USERS.proxy),
    dns: await componentClient(pki, server.url, NODE_COMPONENT_USERS.dns),
    ingress: addons,
  };
  const agent = await startAgent(agentClients, {
    dataDir, runtime, nodeName, kubeletPort: Number(values["kubelet-port"]), bridge: values["pod-bridge"]!,
    tls: { caCert: pki.caCert, serverCert: pki.serverCert, serverKey: pki.serverKey }, kubeletVersion: VERSION_INFO.gitVersion, log: agentLog,
    proxyMode: values["proxy-mode"] as ProxyModeChoice, networkBackend, nodeIP: values["node-ip"],
    // Pods reach a server on loopback through the node's pod-network gateway, as k3s names the node IP.
    onNodeAddress: isLoopback(bind) ? async (address) => {
      const renewed = await ensurePki(join(dataDir, "tls"), [...servedSans, address]);
      await server.advertise(address, { cert: renewed.serverCert, key: renewed.serverKey });
      log("serving pods", { address, service: "https://10.96.0.1:443" });
    } : undefined,
    ingress: values["disable-ingress"] ? undefined : { httpPort: Number(values["ingress-http-port"]), httpsPort: Number(values["ingress-https-port"]) },
  }, components.signal);
  // Its own node's pods and kubelet share the server's loopback on the process runtime; the proxy may reach them there.
  if (agent) server.proxy.trustLoopbackNode(agent.kubelet.nodeName);
  if (agent) nodeMetrics = () => agent.metrics();
  process.stdout.write(agent ? `Node ${agent.kubelet.nodeName} runs pods with ${agent.runtime}\n` : `${chooseRuntime(runtime).reason}\n`);

  step = "waiting";
  await stop.requested;
  components.abort();
  step = "the node";
  await agent?.stop();
  step = "the API server";
  await server.stop();
  step = "the datastore";
  await store.close();
  audit?.backend.close();
  clearTimeout(watchdog);
  log("stopped", { ms: Date.now() - t0 });
  exitWhenIdleOrSoon();
  return 0;
}

/** How long the steps of a shutdown may take in all (containerd alone may take 10 s to stop). */
const SHUTDOWN_LIMIT_MS = 20_000;
/** How much longer a start-up that a signal interrupted may take to come to where it can stop. */
const START_UP_LIMIT_MS = 30_000;

/**
 * Everything is stopped and state is closed: a client's kept-alive socket or
 * a forgotten timer must not keep the process (and the addresses it held)
 * alive after SIGTERM, as a server left behind by a test once did.
 */
export function exitWhenIdleOrSoon(): void {
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
}

/** A client that acts as one of the cluster's components, with a client certificate from the cluster CA. */
async function componentClient(pki: Pki, server: string, commonName: string, organizations: string[] = []): Promise<Client> {
  const { cert, key } = await issueClientCertificate(pki, commonName, organizations);
  return new Client({ server, ca: pki.caCert, cert, key });
}

/** --token as the server token: the K10 form a joining server is given, or a bare <id>.<secret>. */
function givenServerToken(text: string): BootstrapToken {
  const token = parseBootstrapToken(/^K10/.test(text) ? serverJoinToken(text).secret : text.trim());
  if (!token) throw new Error("--token must be a server token <id>.<secret> (6 and 16 characters of a-z and 0-9), or K10<CA sha256>::<id>.<secret>");
  return token;
}

/** As upstream, requests are audited only with both a policy and a log path. */
function auditorFrom(values: Record<string, string | boolean | undefined>, metrics: AuditMetrics): { auditor: Auditor; backend: LogBackend } | undefined {
  const policyFile = values["audit-policy-file"] as string | undefined;
  const path = values["audit-log-path"] as string | undefined;
  if (!policyFile || !path) return undefined;
  const number = (flag: string) => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a whole number, not ${JSON.stringify(values[flag])}`);
    return n;
  };
  const policy = loadPolicy(resolve(policyFile));
  const backend = new LogBackend({
    path: path === "-" ? "-" : resolve(path), maxAgeDays: number("audit-log-maxage"), maxBackups: number("audit-log-maxbackup"),
    maxSizeMB: number("audit-log-maxsize"), log: componentLog("audit"), metrics,
  });
  return { auditor: new Auditor({ policy, backend, log: componentLog("audit"), metrics }), backend };
}

/** Go's time.ParseDuration for the units flags use (h, m, s), in whole seconds. */
function durationSeconds(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) throw new Error(`invalid value "${text}" for flag ${flag}: time: invalid duration "${text}"`);
  return Math.floor(parts.reduce((sum, [, n, unit]) => sum + Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1), 0));
}
