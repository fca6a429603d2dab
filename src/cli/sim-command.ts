/** `skiff sim`: simulated nodes that join a running cluster (KWOK's role). */
import { parseArgs } from "node:util";
import { Client, loadKubeconfig } from "../client/index.js";
import { SimNodes } from "../kubelet/runtime/sim/sim-nodes.js";

export const simUsage = `Usage: skiff sim --nodes N --kubeconfig FILE [--prefix NAME] [--complete-after-ms MS]
`;

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "1" },
      kubeconfig: { type: "string" },
      prefix: { type: "string", default: "sim-node" },
      "complete-after-ms": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.kubeconfig) {
    process.stdout.write(simUsage);
    return values.help ? 0 : 1;
  }
  const client = new Client(loadKubeconfig(values.kubeconfig));
  const abort = new AbortController();
  const sim = new SimNodes(client, {
    count: Number(values.nodes), prefix: values.prefix, completeAfterMs: Number(values["complete-after-ms"]),
    log: (msg, fields) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), component: "sim", msg, ...fields }) + "\n"),
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
