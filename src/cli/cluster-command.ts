/** `skiff cluster create|delete|list`: a multi-node cluster on this machine, each node in its own network namespace. */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { clusterStatus, createCluster, deleteCluster, listStates, readState, validateClusterName } from "../cluster/index.js";

export const clusterUsage = `Usage: skiff cluster create [--name N] [--agents N] [--servers 1] [--data-dir DIR] [--kubeconfig FILE]
       skiff cluster delete [--name N] [--data-dir DIR]
       skiff cluster list [--data-dir DIR]

  create   a cluster of one server and N agents (default 2) on this machine, each node in its own network
           namespace with its own containerd, kubelet, proxy and DNS, on a bridge made for the cluster
           (172.30.X.0/24); prints how to reach it. As root.
  delete   stops the cluster's nodes and removes their pods, mounts, namespaces, bridge and data
  list     the clusters made here and whether their nodes run

Flags:
  --name N                 the cluster's name (default skiff)
  --agents N               agent nodes besides the server (default 2)
  --servers N              servers (1; several servers are not made yet)
  --data-dir DIR           where clusters keep their state (default ~/.skiff/clusters)
  --kubeconfig FILE        where create writes the admin kubeconfig (default DATA_DIR/NAME/kubeconfig.yaml)
  --runtime auto|cri|process  the nodes' container runtime (default auto)
  --network-backend vxlan|host-gw  the pod network between the nodes (default vxlan)
`;

const DEFAULT_DATA_DIR = join(homedir(), ".skiff", "clusters");

export async function clusterCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      name: { type: "string", default: "skiff" },
      agents: { type: "string", default: "2" },
      servers: { type: "string", default: "1" },
      "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
      kubeconfig: { type: "string" },
      runtime: { type: "string", default: "auto" },
      "network-backend": { type: "string", default: "vxlan" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [verb] = positionals;
  if (values.help || !verb) { process.stdout.write(clusterUsage); return values.help ? 0 : 1; }
  const baseDir = resolve(values["data-dir"]!);
  const name = values.name!;
  const fail = (message: string) => { process.stderr.write(`skiff cluster ${verb}: ${message}\n`); return 1; };
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const skiff = process.argv[1]!;
  switch (verb) {
    case "create": {
      const invalid = validateClusterName(name);
      if (invalid) return fail(invalid);
      const agents = Number(values.agents);
      if (!Number.isInteger(agents) || agents < 0 || agents > 20) return fail(`--agents must be a whole number from 0 to 20, not ${JSON.stringify(values.agents)}`);
      if (values.servers !== "1") return fail("only --servers 1 is supported: a highly available control plane is not made by skiff cluster yet");
      if (!["vxlan", "host-gw"].includes(values["network-backend"]!)) return fail(`--network-backend must be vxlan or host-gw, not ${JSON.stringify(values["network-backend"])}`);
      if (!["auto", "cri", "process"].includes(values.runtime!)) return fail(`--runtime must be auto, cri or process, not ${JSON.stringify(values.runtime)}`);
      if (process.getuid?.() !== 0) return fail("making network namespaces and a bridge needs root");
      const started = Date.now();
      try {
        const state = await createCluster({
          name, agents, baseDir, kubeconfig: values.kubeconfig && resolve(values.kubeconfig), runtime: values.runtime!,
          networkBackend: values["network-backend"]!, skiff, say,
        });
        say(`Cluster "${name}" is ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${state.nodes.map((n) => n.name).join(", ")}`);
        const where = values["data-dir"] === DEFAULT_DATA_DIR ? "" : ` --data-dir ${baseDir}`;
        say(`Point kubectl at it:\n  export KUBECONFIG=${state.kubeconfig}\n  kubectl get nodes\nDelete it with:\n  skiff cluster delete --name ${name}${where}`);
        return 0;
      } catch (err) {
        return fail((err as Error).message);
      }
    }
    case "delete": {
      const state = readState(join(baseDir, name));
      if (!state) return fail(`no cluster named ${JSON.stringify(name)} in ${baseDir}`);
      if (process.getuid?.() !== 0) return fail("removing network namespaces and a bridge needs root");
      await deleteCluster(state, skiff, say);
      return 0;
    }
    case "list": {
      const states = listStates(baseDir);
      const rows = [["NAME", "SERVERS", "AGENTS", "NETWORK", "STATUS"], ...states.map((s) => [
        s.name, String(s.nodes.filter((n) => n.role === "server").length), String(s.nodes.filter((n) => n.role === "agent").length), s.subnet, clusterStatus(s),
      ])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) say(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join(""));
      return 0;
    }
    default:
      return fail(`unknown command ${JSON.stringify(verb)}\n\n${clusterUsage}`);
  }
}
