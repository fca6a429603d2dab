/** `skiff sim`: simulated nodes that join a running cluster (KWOK's role). */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client, loadKubeconfig } from "../client/index.js";
import { SimNodes } from "../kubelet/runtime/sim/sim-nodes.js";
import type { SimUsageOptions } from "../kubelet/runtime/sim/sim-usage.js";
import { simServingCertificate } from "../kubelet/runtime/sim/sim-serving-certificate.js";

export const simUsage = `Usage: skiff sim --nodes N --kubeconfig FILE [flags]

Flags:
  --prefix NAME                the nodes' names are NAME-0, NAME-1, ... (default sim-node)
  --complete-after-ms MS       how long a pod that does not restart runs before it succeeds (default 1000)
  --tls-cert-file FILE         a serving certificate from the cluster CA for the nodes' /stats/summary endpoint
                               (metrics.k8s.io, kubectl top, the HPA); without it one is asked for through a
                               kubelet-serving CSR that the simulator approves itself (it needs the right to)
  --tls-private-key-file FILE  its key
  --node-ip ADDR               where that endpoint listens, and the nodes' InternalIP (default 127.0.0.1)
  --sim-usage-fraction F       the share of its requests a pod is reported to use (default 0.1; annotation
                               skiff.dev/simulated-cpu-usage or -memory-usage overrides it per pod)
  --sim-usage-noise F          how far a sample strays from that, either way (default 0.1)
`;

/** The --sim-usage-* flags, checked. */
export function simUsageOptions(fraction: string, noise: string): Partial<SimUsageOptions> {
  const f = Number(fraction), n = Number(noise);
  if (!Number.isFinite(f) || f < 0) throw new Error(`invalid value "${fraction}" for flag --sim-usage-fraction: must be a number >= 0`);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`invalid value "${noise}" for flag --sim-usage-noise: must be a number from 0 to 1`);
  return { fraction: f, noise: n };
}

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "1" },
      kubeconfig: { type: "string" },
      prefix: { type: "string", default: "sim-node" },
      "complete-after-ms": { type: "string", default: "1000" },
      "tls-cert-file": { type: "string" },
      "tls-private-key-file": { type: "string" },
      "node-ip": { type: "string", default: "127.0.0.1" },
      "sim-usage-fraction": { type: "string", default: "0.1" },
      "sim-usage-noise": { type: "string", default: "0.1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.kubeconfig) {
    process.stdout.write(simUsage);
    return values.help ? 0 : 1;
  }
  const config = loadKubeconfig(values.kubeconfig);
  const client = new Client(config);
  const abort = new AbortController();
  const certFile = values["tls-cert-file"], keyFile = values["tls-private-key-file"];
  if (Boolean(certFile) !== Boolean(keyFile)) throw new Error("--tls-cert-file and --tls-private-key-file go together");
  if (certFile && !config.ca) throw new Error("the kubeconfig names no certificate authority: the stats endpoint needs it to check the API server's client certificate");
  const log = (msg: string, fields?: Record<string, unknown>) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), component: "sim", msg, ...fields }) + "\n");
  const count = Number(values.nodes);
  const names = Array.from({ length: count }, (_, i) => `${values.prefix}-${i}`);
  let serving: { cert: string; key: string } | undefined = certFile && keyFile ? { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") } : undefined;
  if (!serving && config.ca && count > 0) {
    // Without usage the nodes still work; only metrics are missing, so a refused request is said and passed over.
    serving = await simServingCertificate(client, names, values["node-ip"]!, abort.signal)
      .catch((err) => { log("no stats endpoint: the serving certificate request failed", { err: (err as Error).message }); return undefined; });
  }
  const sim = new SimNodes(client, {
    count, prefix: values.prefix, completeAfterMs: Number(values["complete-after-ms"]),
    statsTls: serving && config.ca ? { caCert: config.ca, serverCert: serving.cert, serverKey: serving.key } : undefined,
    statsAddress: values["node-ip"],
    usage: simUsageOptions(values["sim-usage-fraction"]!, values["sim-usage-noise"]!),
    log,
  });
  await sim.start(abort.signal);
  process.stdout.write(`${sim.names.length} simulated nodes registered: ${sim.names[0]} … ${sim.names[sim.names.length - 1]}\n`);
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  abort.abort();
  client.close();
  return 0;
}
