/**
 * The pod status the kubelet reports, computed from the runtime's view and
 * the probe results as upstream's generateAPIPodStatus and getPhase do:
 * container states with reasons, lastState and restartCount, the pod's
 * phase, its conditions and addresses.
 */
import { rfc3339 } from "../../api/time.js";
import type { ProberManager } from "../prober/prober-manager.js";
import { qosClass } from "../kuberuntime/pod-config.js";
import { restartCountOf, RuntimeManager, type PodState, type RuntimePodStatus } from "../kuberuntime/runtime-manager.js";
import type { ContainerStatus } from "../kuberuntime/runtime.js";
import type { Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus as ApiContainerStatus, PodCondition, PodStatus } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";

/**
 * Upstream's JSON holds an unset metav1.Time as null (`lastProbeTime: null`, a
 * container never started), and kubectl shows it so; kubernetes-types types a
 * Time as a string only. These are the status types with those times nullable.
 */
type NullableTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] | null };
export type ReportedCondition = NullableTimes<PodCondition, "lastProbeTime">;
export interface ReportedContainerState extends Omit<ContainerState, "running" | "terminated"> {
  running?: NullableTimes<ContainerStateRunning, "startedAt">;
  terminated?: NullableTimes<ContainerStateTerminated, "startedAt" | "finishedAt">;
}
export interface ReportedContainerStatus extends Omit<ApiContainerStatus, "state" | "lastState"> {
  state?: ReportedContainerState;
  lastState?: ReportedContainerState;
}
export interface ReportedPodStatus extends Omit<PodStatus, "conditions" | "containerStatuses" | "initContainerStatuses"> {
  conditions?: ReportedCondition[];
  containerStatuses?: ReportedContainerStatus[];
  initContainerStatuses?: ReportedContainerStatus[];
}

const time = (ns: number) => (ns > 0 ? rfc3339(Math.floor(ns / 1e6)) : null);

function terminated(c: ContainerStatus, message: string): ReportedContainerState {
  const reason = c.reason === "OOMKilled" ? "OOMKilled" : c.exitCode === 0 ? "Completed" : c.reason && c.reason !== "Error" ? c.reason : "Error";
  return {
    terminated: {
      exitCode: c.exitCode, reason, ...(message ? { message } : {}),
      startedAt: time(c.startedAt), finishedAt: time(c.finishedAt), containerID: `containerd://${c.id}`,
    },
  };
}

export interface StatusInputs {
  pod: Pod;
  rt: RuntimePodStatus;
  state: PodState;
  prober: ProberManager;
  hostIP: string;
  runtimeName: string;
  terminationMessage: (c: ContainerStatus, spec: Container | undefined) => string;
  /** The pod is to fail for this reason whatever its containers say (activeDeadlineSeconds passed). */
  evicted?: { reason: string; message: string };
}

function containerStatuses(specs: Container[], inputs: StatusInputs, kind: "init" | "regular", blockedBy: string | undefined): ReportedContainerStatus[] {
  const { pod, rt, state, prober } = inputs;
  const scheme = inputs.runtimeName.split(":")[0] || "containerd";
  return specs.map((spec) => {
    const mine = rt.containers.filter((c) => c.metadata.name === spec.name);
    const latest = mine[0];
    const base: ReportedContainerStatus = { name: spec.name, image: spec.image ?? "", imageID: latest?.imageRef ?? "", ready: false, restartCount: latest ? restartCountOf(latest) : 0, started: false };
    if (latest) base.containerID = `${scheme}://${latest.id}`;
    const prior = mine[1];
    base.lastState = prior?.state === "CONTAINER_EXITED" ? fixScheme(terminated(prior, inputs.terminationMessage(prior, spec)), scheme) : {};
    const waiting = state.waiting.get(spec.name);
    if (!latest) {
      base.state = { waiting: waiting ?? { reason: blockedBy ? "PodInitializing" : "ContainerCreating" } };
      return base;
    }
    if (latest.state === "CONTAINER_RUNNING") {
      base.state = { running: { startedAt: time(latest.startedAt) } };
      base.started = prober.started(latest.id, spec);
      base.ready = kind === "regular" && base.started && prober.ready(latest.id, spec);
      if (kind === "init") base.ready = false;
      return base;
    }
    if (latest.state === "CONTAINER_EXITED") {
      const term = fixScheme(terminated(latest, inputs.terminationMessage(latest, spec)), scheme);
      if (kind === "init" && latest.exitCode === 0) base.ready = true;
      const restarting = RuntimeManager.shouldRestart(pod, latest) && !(kind === "init" && latest.exitCode === 0);
      if (restarting && waiting) {
        base.state = { waiting };
        base.lastState = term;
      } else {
        base.state = term;
      }
      return base;
    }
    base.state = { waiting: waiting ?? { reason: "ContainerCreating" } };
    return base;
  });
}

function fixScheme(state: ReportedContainerState, scheme: string): ReportedContainerState {
  if (state.terminated?.containerID) state.terminated.containerID = state.terminated.containerID.replace(/^containerd:/, `${scheme}:`);
  return state;
}

/** upstream's getPhase over the app containers' statuses. */
export function podPhase(pod: Pod, init: ReportedContainerStatus[], regular: ReportedContainerStatus[]): string {
  const policy = pod.spec.restartPolicy ?? "Always";
  for (const s of init) {
    if (s.state?.terminated && s.state.terminated.exitCode !== 0 && policy === "Never") return "Failed";
  }
  const initDone = init.every((s) => s.state?.terminated?.exitCode === 0);
  if (!initDone) return "Pending";
  let running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const s of regular) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) { stopped++; if (s.state.terminated.exitCode === 0) succeeded++; }
    else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "OnFailure") return "Running";
    return "Failed";
  }
  return "Pending";
}

export function generatePodStatus(inputs: StatusInputs): ReportedPodStatus {
  const { pod, rt, state } = inputs;
  const initSpecs = pod.spec.initContainers ?? [];
  // Upstream's default waiting reason for a container not yet created is PodInitializing in any pod with init containers.
  const initStatuses = containerStatuses(initSpecs, inputs, "init", initSpecs.length ? "init" : undefined);
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = containerStatuses(pod.spec.containers ?? [], inputs, "regular", initSpecs.length ? "init" : undefined);
  let phase = inputs.evicted ? "Failed" : podPhase(pod, initStatuses, statuses);
  const prevPhase = pod.status?.phase;
  // A terminal phase never goes back.
  if (prevPhase === "Succeeded" || prevPhase === "Failed") phase = prevPhase;
  const terminal = phase === "Succeeded" || phase === "Failed";
  const sandboxReady = rt.sandboxes[0]?.state === "SANDBOX_READY";
  const now = rfc3339();
  const previous = new Map<string, ReportedCondition>((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const cond = (type: string, ok: boolean, reason?: string, message?: string): ReportedCondition => {
    const status = ok ? "True" : "False";
    const before = previous.get(type);
    return {
      type, status, lastProbeTime: null, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
      ...(reason && !ok ? { reason } : {}), ...(message && !ok ? { message } : {}),
    };
  };
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = initStatuses.filter((s) => !(s.state?.terminated?.exitCode === 0)).map((s) => s.name);
  const containersReady = unready.length === 0 && !terminal;
  const gatesOk = (pod.spec.readinessGates ?? []).every((g) => previous.get(g.conditionType)?.status === "True");
  const notReadyReason = phase === "Succeeded" ? "PodCompleted" : phase === "Failed" ? "PodFailed" : "ContainersNotReady";
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const conditions = [
    cond("PodReadyToStartContainers", sandboxReady),
    // Init containers that did not all succeed leave the pod not Initialized, a failed pod too (upstream's GeneratePodInitializedCondition).
    cond("Initialized", initDone, "ContainersNotInitialized", `containers with incomplete status: [${incomplete.join(" ")}]`),
    cond("Ready", containersReady && gatesOk, notReadyReason, containersReady ? "the status of pod readiness gate is not True" : notReadyMessage),
    cond("ContainersReady", containersReady, notReadyReason, notReadyMessage),
    previous.get("PodScheduled") ?? cond("PodScheduled", true),
  ];
  for (const [type, c] of previous) if (!conditions.some((x) => x.type === type)) conditions.push(c);
  const podIP = pod.spec.hostNetwork ? inputs.hostIP : state.podIP;
  return {
    phase,
    ...(inputs.evicted ? inputs.evicted : {}),
    conditions,
    hostIP: inputs.hostIP,
    hostIPs: [{ ip: inputs.hostIP }],
    ...(podIP && !terminal ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: state.startTime,
    ...(initSpecs.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: qosClass(pod),
  };
}
