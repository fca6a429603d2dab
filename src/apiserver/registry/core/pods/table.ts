/** `kubectl get pods`: readiness, the status kubectl derives from the containers' states, restarts. */
import type { Pod } from "kubernetes-types/core/v1.js";
import { age, humanDuration, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

/** Upstream's printPod: READY, STATUS (the reason of the first container in trouble) and RESTARTS. */
function podStatus(pod: Stored<Pod>): { ready: string; status: string; restarts: string } {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason: string = pod.status?.reason || pod.status?.phase || "Pending";
  let initializing = false;
  for (const [i, c] of (pod.status?.initContainerStatuses ?? []).entries()) {
    restarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0) continue;
    initializing = true;
    const initTotal = (pod.spec?.initContainers ?? []).length;
    if (c.state?.terminated) reason = c.state.terminated.reason ? `Init:${c.state.terminated.reason}` : `Init:ExitCode:${c.state.terminated.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== "PodInitializing") reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...statuses].reverse()) {
      restarts += c.restartCount ?? 0;
      const t = c.lastState?.terminated?.finishedAt;
      if (t) lastRestart = Math.max(lastRestart, Date.parse(t));
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) { hasRunning = true; readyCount++; }
    }
    if (reason === "Completed" && hasRunning) reason = (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True") ? "Running" : "NotReady";
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === "NodeLost" ? "Unknown" : "Terminating";
  const restartText = lastRestart && restarts ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartText };
}

export const podTable = tablePrinter<Stored<Pod>>(
  [["Ready"], ["Status"], ["Restarts", "string"], ["Age"], ["IP", "string", 1], ["Node", "string", 1], ["Nominated Node", "string", 1], ["Readiness Gates", "string", 1]],
  (o, now) => {
    const s = podStatus(o);
    const gates = o.spec?.readinessGates ?? [];
    const gateText = gates.length
      ? `${gates.filter((g) => (o.status?.conditions ?? []).some((c) => c.type === g.conditionType && c.status === "True")).length}/${gates.length}`
      : "<none>";
    return [s.ready, s.status, s.restarts, age(o.metadata.creationTimestamp, now), none(o.status?.podIP), none(o.spec?.nodeName), none(o.status?.nominatedNodeName), gateText];
  },
);
