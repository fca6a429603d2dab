/**
 * `skiff controller-manager` and `skiff scheduler`: each component alone
 * against a running API server, elected leader through a Lease so that
 * several can run and one takes over when the leader dies.
 */
import { parseArgs } from "node:util";
import { Client, LeaderElectionMetrics, LeaderElector, WorkQueueMetrics, loadKubeconfig } from "../client/index.js";
import { ControllerManager } from "../controllers/manager.js";
import { Scheduler, SchedulerMetrics } from "../scheduler/index.js";
import { autoscalerFlags, autoscalerOptions, autoscalerUsage } from "./autoscaler-flags.js";
import { Registry } from "../metrics/index.js";
import { SecureServing } from "./secure-serving.js";

export const componentUsage = `Usage: skiff controller-manager|scheduler --kubeconfig FILE [flags]

Flags:
  --leader-elect BOOL                 elect a leader through a Lease in kube-system (default true)
  --leader-elect-lease-duration S     seconds a leader's Lease lasts without renewal (default 15)
  --leader-elect-renew-deadline S     seconds a leader keeps trying to renew before it stops (default 10)
  --leader-elect-retry-period S       seconds between attempts (default 2)
  --identity NAME                     this candidate's name in the Lease (default host name and a random suffix)
  --node-monitor-grace-period S       controller-manager: seconds before a silent node is Unknown (default 40)
  --secure-port N                     HTTPS port for /metrics and health (default 10259 scheduler, 10257 controller-manager; 0 disables)
  --bind-address IP                   address of the secure port (default 127.0.0.1, as k3s binds its components)
${autoscalerUsage}`;

export function componentLog(component: string) {
  return (msg: string, fields: Record<string, unknown> = {}): void => {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), component, msg, ...fields }) + "\n");
  };
}

/** Runs start() while this process leads; campaigns again after losing the Lease. */
export async function runElected(client: Client, name: string, options: { elect: boolean; identity?: string; leaseMs: number; renewMs: number; retryMs: number; metrics?: LeaderElectionMetrics },
  signal: AbortSignal, start: (leading: AbortSignal) => void, log: ReturnType<typeof componentLog>): Promise<void> {
  if (!options.elect) {
    start(signal);
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    return;
  }
  const elector = new LeaderElector(client, { name, identity: options.identity, leaseDurationMs: options.leaseMs, renewDeadlineMs: options.renewMs, retryPeriodMs: options.retryMs, metrics: options.metrics });
  while (!signal.aborted) {
    log("waiting to lead", { lease: `kube-system/${name}`, identity: elector.identity });
    await elector.run(signal, (leading) => {
      log("leading", { lease: `kube-system/${name}`, identity: elector.identity });
      start(leading);
    });
    if (!signal.aborted) log("lost the lease", { lease: `kube-system/${name}` });
  }
}

export async function componentCommand(which: "controller-manager" | "scheduler", argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: "string" },
      "leader-elect": { type: "string", default: "true" },
      "leader-elect-lease-duration": { type: "string", default: "15" },
      "leader-elect-renew-deadline": { type: "string", default: "10" },
      "leader-elect-retry-period": { type: "string", default: "2" },
      identity: { type: "string" },
      "node-monitor-grace-period": { type: "string", default: "40" },
      ...autoscalerFlags,
      "secure-port": { type: "string", default: which === "scheduler" ? "10259" : "10257" },
      "bind-address": { type: "string", default: "127.0.0.1" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.kubeconfig) {
    process.stdout.write(componentUsage);
    return values.help ? 0 : 1;
  }
  const client = new Client(loadKubeconfig(values.kubeconfig));
  const log = componentLog(which);
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  process.once("SIGTERM", () => abort.abort());
  const seconds = (k: keyof typeof values) => Number(values[k]) * 1000;
  const horizontalPodAutoscaler = autoscalerOptions(values);
  // Made once: the component is made again each time it wins the election.
  const registry = new Registry();
  const schedulerMetrics = which === "scheduler" ? new SchedulerMetrics(registry) : undefined;
  const workqueueMetrics = which === "controller-manager" ? new WorkQueueMetrics(registry) : undefined;
  const securePort = Number(values["secure-port"]);
  if (!Number.isInteger(securePort) || securePort < 0 || securePort > 65535) throw new Error(`--secure-port must be a port number, not ${JSON.stringify(values["secure-port"])}`);
  const serving = securePort ? new SecureServing({ component: `kube-${which}`, client, clientCa: client.config.ca, bindAddress: values["bind-address"]!, port: securePort, registry, log }) : undefined;
  await serving?.start();
  await runElected(client, which === "scheduler" ? "kube-scheduler" : "kube-controller-manager", {
    elect: values["leader-elect"] !== "false", identity: values.identity,
    leaseMs: seconds("leader-elect-lease-duration"), renewMs: seconds("leader-elect-renew-deadline"), retryMs: seconds("leader-elect-retry-period"),
    metrics: new LeaderElectionMetrics(registry),
  }, abort.signal, (leading) => {
    if (which === "scheduler") new Scheduler(client, { log, metrics: schedulerMetrics }).start(leading);
    else new ControllerManager(client, { log, nodeMonitorGracePeriodMs: seconds("node-monitor-grace-period"), horizontalPodAutoscaler, workqueueMetrics }).start(leading);
  }, log);
  await serving?.stop();
  client.close();
  return 0;
}
