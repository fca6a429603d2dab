/** `skiff agent`: a further node joining a cluster through TLS bootstrapping with a bootstrap token (the server's node-token). */
import { setMaxListeners } from "node:events";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { VERSION_INFO } from "../apiserver/index.js";
import { parseBootstrapToken, parseJoinToken, type NodeComponent } from "../pki/index.js";
import type { Endpoints } from "kubernetes-types/core/v1.js";
import { Client, Resources, type KubeObject } from "../client/index.js";
import { exitWhenIdleOrSoon } from "./server-command.js";
import { chooseRuntime, networkBackendFlag, ServerLoadBalancer, startAgent, type ProxyModeChoice, type RuntimeChoice } from "../agent/index.js";
import { clientCertificate, componentCertificate, fetchTrustedCA, servingCertificate } from "../kubelet/bootstrap.js";
import { componentLog } from "./component-commands.js";
import { listenForStop } from "./stop-signal.js";

export const agentUsage = `Usage: skiff agent --server URL --token TOKEN [flags]

Flags:
  --server URL                 the API server to join (https://HOST:PORT)
  --token TOKEN                the join token, as the server's DATA_DIR/node-token holds it or skiff token create
                               prints it (K10<CA sha256>::<id>.<secret>: the CA's fingerprint and a bootstrap token)
  --data-dir DIR               the node's state: certificates, pods, images (default ./agent-data)
  --node-name NAME             the node's name (default the host name)
  --node-ip ADDR               this node's address that other nodes reach: in the kubelet's serving certificate,
                               and where the pod network between nodes runs
  --network-backend vxlan|host-gw|none  the pod network between nodes (default vxlan; host-gw where the nodes
                               share a layer-2 network; none for no routes to other nodes' pods); needs --node-ip
  --runtime auto|cri|process   the container runtime (default auto: cri where containerd and root are available)
  --kubelet-port N             the kubelet's HTTPS port (default 10250; 0 picks a free one)
  --pod-bridge NAME            the Linux bridge of the node's pod network (default skiff0)
  --proxy-mode auto|nftables|iptables  how Services are programmed in the kernel (default auto)
`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "data-dir": { type: "string", default: "agent-data" },
      "node-name": { type: "string" },
      "node-ip": { type: "string" },
      runtime: { type: "string", default: "auto" },
      "kubelet-port": { type: "string", default: "10250" },
      "pod-bridge": { type: "string", default: "skiff0" },
      "proxy-mode": { type: "string", default: "auto" },
      "network-backend": { type: "string", default: "vxlan" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) { process.stdout.write(agentUsage); return 0; }
  if (!values.server || !values.token) { process.stderr.write(`--server and --token are required\n\n${agentUsage}`); return 1; }
  const runtime = values.runtime as RuntimeChoice;
  const networkBackend = networkBackendFlag(values["network-backend"]!);
  if (!["auto", "cri", "process"].includes(runtime)) throw new Error(`--runtime must be auto, cri or process, not ${JSON.stringify(runtime)}`);
  const log = componentLog("agent");
  const dataDir = resolve(values["data-dir"]!);
  mkdirSync(dataDir, { recursive: true });
  const nodeName = (values["node-name"] ?? hostname()).toLowerCase();
  const { caHash, secret } = parseJoinToken(values.token);
  const components = new AbortController();
  setMaxListeners(0, components.signal);
  const stop = listenForStop(() => log("stopping"));
  try {
    const caCert = await fetchTrustedCA(values.server, caHash);
    // Every client of the node goes through the load balancer, which follows the live servers.
    const balancer = new ServerLoadBalancer({ defaultServer: new URL(values.server).host, log: componentLog("load-balancer") });
    const server = await balancer.start();
    components.signal.addEventListener("abort", () => void balancer.stop(), { once: true });
    const tlsDir = join(dataDir, "agent", "tls");
    // The bootstrap token is used only to ask for the node's client certificate; a kept one needs no token.
    const bootstrap = () => {
      if (!parseBootstrapToken(secret)) throw new Error("the token is not a bootstrap token (K10<CA sha256>::<id>.<secret>): take the server's DATA_DIR/node-token or run skiff token create");
      return new Client({ server, ca: caCert, token: secret });
    };
    const identity = await clientCertificate(bootstrap, tlsDir, nodeName, log, components.signal).catch((err: Error & { code?: number }) => {
      throw new Error(err.code === 401 ? "the server refused the token: it is not one of this cluster's bootstrap tokens, or it expired" : err.code ? `cannot join through ${values.server}: ${err.message}` : err.message);
    });
    // From here on the agent is system:node:NAME.
    const client = new Client({ server, ca: caCert, cert: identity.cert, key: identity.key });
    const ips = ["127.0.0.1", ...(values["node-ip"] ? [values["node-ip"]] : [])];
    const serving = await servingCertificate(client, tlsDir, nodeName, ips, [hostname(), nodeName], log, components.signal);
    // The Service proxy and the cluster DNS act as themselves, not as the node, with certificates the node asks for.
    const componentClient = async (component: NodeComponent) => {
      const { cert, key } = await componentCertificate(client, tlsDir, component, log, components.signal);
      return new Client({ server, ca: caCert, cert, key });
    };
    const clients = { kubelet: client, proxy: await componentClient("proxy"), dns: await componentClient("dns") };
    // The Service proxy may list endpoints; the node may not.
    balancer.followEndpoints(async () => (await clients.proxy.list<KubeObject & Endpoints>(Resources.endpoints, "default", { fieldSelector: "metadata.name=kubernetes" })).items[0], components.signal);
    const agent = await startAgent(clients, {
      dataDir, runtime, nodeName, kubeletPort: Number(values["kubelet-port"]), bridge: values["pod-bridge"]!,
      tls: { caCert, serverCert: serving.cert, serverKey: serving.key }, kubeletVersion: VERSION_INFO.gitVersion, log: componentLog("kubelet"),
      proxyMode: values["proxy-mode"] as ProxyModeChoice, networkBackend, nodeIP: values["node-ip"],
    }, components.signal);
    if (!agent) throw new Error(chooseRuntime(runtime).reason);
    process.stdout.write(`Node ${agent.kubelet.nodeName} joined ${values.server} and runs pods with ${agent.runtime}\n`);
    await stop.requested;
    components.abort();
    await agent.stop();
    exitWhenIdleOrSoon();
    return 0;
  } catch (err) {
    components.abort();
    process.stderr.write(`skiff agent: ${(err as Error).message}\n`);
    return 1;
  }
}
