/** `skiff cluster create|delete|list`: a multi-node cluster on this machine, each node in its own network namespace. */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { clusterStatus, createCluster, deleteCluster, isOurProcess, listStates, readState, runLoadBalancer, validateClusterName, type ClusterProcess, type ClusterState } from "../cluster/index.js";
import { listenForStop } from "./stop-signal.js";

export const clusterUsage = `Usage: skiff cluster create [--name N] [--agents N] [--servers 1|3] [--data-dir DIR] [--kubeconfig FILE]
       skiff cluster delete [--name N] [--data-dir DIR]
       skiff cluster list [--data-dir DIR]

  create   a cluster of one server (or three, on an etcd cluster) and N agents (default 2) on this machine,
           each node in its own network namespace with its own containerd, kubelet, proxy and DNS, on a
           bridge made for the cluster (172.30.X.0/24); prints how to reach it. As root.
  delete   stops the cluster's processes and removes their pods, mounts, namespaces, bridge and data
  list     the clusters made here, their nodes and the processes behind them

Flags:
  --name N                 the cluster's name (default skiff)
  --agents N               agent nodes besides the server (default 2)
  --servers 1|3            servers (default 1); with 3, each has an etcd member beside it (Debian's etcd)
                           and the kubeconfig names a load balancer on 127.0.0.1 over their API ports
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
      if (values.servers !== "1" && values.servers !== "3") return fail(`--servers must be 1 or 3 (an etcd cluster of three members keeps its quorum through the loss of one), not ${JSON.stringify(values.servers)}`);
      if (!["vxlan", "host-gw"].includes(values["network-backend"]!)) return fail(`--network-backend must be vxlan or host-gw, not ${JSON.stringify(values["network-backend"])}`);
      if (!["auto", "cri", "process"].includes(values.runtime!)) return fail(`--runtime must be auto, cri or process, not ${JSON.stringify(values.runtime)}`);
      if (process.getuid?.() !== 0) return fail("making network namespaces and a bridge needs root");
      const started = Date.now();
      try {
        const state = await createCluster({
          name, agents, servers: Number(values.servers), baseDir, kubeconfig: values.kubeconfig && resolve(values.kubeconfig), runtime: values.runtime!,
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
      table(rows, say);
      if (states.length) {
        say("");
        table([["CLUSTER", "NODE", "ROLE", "ADDRESS", "PROCESSES"], ...states.flatMap(processRows)], say);
      }
      return 0;
    }
    case "load-balancer": {
      // Started by create (not for users): serves the cluster in DIR's load balancer until SIGTERM.
      const dir = positionals[1];
      const state = dir ? readState(dir) : undefined;
      if (!state) return fail(`no cluster in ${JSON.stringify(dir)}`);
      const stopRequested = listenForStop();
      const log = (msg: string, fields?: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
      const stop = await runLoadBalancer(state, log);
      log("stopping", { signal: await stopRequested.requested });
      await stop();
      return 0;
    }
    default:
      return fail(`unknown command ${JSON.stringify(verb)}\n\n${clusterUsage}`);
  }
}

/** Columns padded to their widest cell, the last one not. */
function table(rows: string[][], say: (line: string) => void): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) say(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join(""));
}

/** A row for each node (its skiff process and, on a server of several, its etcd member's) and one for the load balancer. */
function processRows(state: ClusterState): string[][] {
  const shown = (p: ClusterProcess, what: string) => `${what} ${p.pid ?? "-"}${isOurProcess(p) ? "" : " (exited)"}`;
  return [
    ...state.nodes.map((n) => [state.name, n.name, n.role, n.ip, [shown(n, `skiff ${n.role}`), ...(n.etcd ? [shown(n.etcd, "etcd")] : [])].join(", ")]),
    ...(state.loadBalancer ? [[state.name, "-", "load-balancer", `127.0.0.1:${state.loadBalancer.port}`, shown(state.loadBalancer, "skiff cluster")]] : []),
  ];
}
