/**
 * The kubelet's `/metrics/cadvisor` against a real container (containerd,
 * runc, CNI), read through the API server's node proxy as Prometheus'
 * kubernetes-cadvisor job reads it: what the container did (memory it
 * filled, CPU it burned, bytes sent to it) shows in cAdvisor's families, and
 * agrees with what kubectl and the container itself report; its CPU limit
 * shows as cAdvisor's spec and throttling; the node's own cgroup and the
 * machine's CPUs are there for node dashboards. Needs root and Debian's
 * containerd, runc and containernetworking-plugins.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE, SANDBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { removeNode, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason();
const BRIDGE = "skiffcadv0";
const NODE = "cadvisor-node";
const MiB = 1024 * 1024;

/** A series' value and timestamp by its name and labels, in any order of the labels. */
function sample(text: string, name: string, labels: Record<string, string>): { value: number; timestampMs?: number } | undefined {
  for (const m of text.matchAll(/^(\w+)(?:\{([^}]*)\})? (\S+)(?: (\d+))?$/gm)) {
    if (m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return { value: Number(m[3]), timestampMs: m[4] === undefined ? undefined : Number(m[4]) };
  }
  return undefined;
}

describe("the kubelet's /metrics/cadvisor with containerd", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-cadvisor-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const scrape = () => kubectl.ok(["get", "--raw", `/api/v1/nodes/${NODE}/proxy/metrics/cadvisor`]);

  before(async () => {
    server = await startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", NODE] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", NODE])), 60_000, 250);
  });
  after(async () => { await removeNode(server, dataDir, BRIDGE); });

  it("reports a running container's memory, CPU, processes and limit, and its pod's network on the sandbox, as cAdvisor labels them", async () => {
    // 20 MiB in tmpfs (page cache the container is charged for), 2 MiB in its writable layer, a busy loop held to
    // a fifth of a CPU, and a listener for the bytes the test sends. The CPU request below the limit keeps it Burstable.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "v1", kind: "Pod", metadata: { name: "stats" },
      spec: { containers: [{
        name: "work", image: BUSYBOX_IMAGE, resources: { requests: { cpu: "100m" }, limits: { memory: "64Mi", cpu: "200m" } },
        command: ["sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; dd if=/dev/zero of=/layer bs=1M count=2 2>/dev/null; (while :; do :; done) & nc -l -p 8080 > /dev/null; sleep 3600"],
      }] },
    }) });
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/stats", "--timeout=60s"]);
    const pod = await json(["get", "pod", "stats"]);
    const containerId = String(pod.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, "");
    const work = { container: "work", namespace: "default", pod: "stats" };

    const first = await eventually(async () => {
      const text = await scrape();
      return (sample(text, "container_memory_cache", work)?.value ?? 0) >= 20 * MiB ? text : undefined;
    }, 30_000, 1_000) as string;
    const id = `/skiff/burstable/pod${pod.metadata.uid}/${containerId}`;
    assert.ok(sample(first, "container_last_seen", { ...work, id, name: containerId, image: BUSYBOX_IMAGE }), `the kubelet's labels: the cgroup, the runtime's id, the image\n${first}`);
    assert.equal(sample(first, "container_scrape_error", {})?.value, 0);
    assert.equal(sample(first, "container_spec_memory_limit_bytes", work)?.value, 64 * MiB, "the pod's limit, as the kernel holds it");
    const usage = sample(first, "container_memory_usage_bytes", work)!.value;
    assert.ok(usage >= 20 * MiB && usage < 64 * MiB, `usage ${usage} holds the 20 MiB in tmpfs, under the limit`);
    assert.ok(sample(first, "container_memory_working_set_bytes", work)!.value >= 20 * MiB, "tmpfs pages are not reclaimable: in the working set");
    const cpu = sample(first, "container_cpu_usage_seconds_total", { ...work, cpu: "total" })!;
    assert.ok(Math.abs(cpu.timestampMs! - Date.now()) < 60_000, `stamped with the read's time in ms: ${cpu.timestampMs}`);
    const user = sample(first, "container_cpu_user_seconds_total", work)!.value;
    const system = sample(first, "container_cpu_system_seconds_total", work)!.value;
    assert.ok(user > 0 && user + system <= cpu.value * 1.1 + 0.05, `user ${user} + system ${system} within usage ${cpu.value}`);
    assert.ok(sample(first, "container_processes", work)!.value >= 3, "sh, its busy subshell and nc");
    assert.ok(sample(first, "container_threads", work)!.value >= 3);
    const started = sample(first, "container_start_time_seconds", work)!.value;
    const startedAt = Date.parse(pod.status.containerStatuses[0].state.running.startedAt) / 1000;
    assert.ok(Math.abs(started - startedAt) < 5, `container_start_time_seconds ${started} against startedAt ${startedAt}`);
    // The pod's own cgroup holds all of its containers; its QoS class's and the node's root cgroup hold the pod.
    assert.ok(sample(first, "container_memory_usage_bytes", { container: "", pod: "stats", id: `/skiff/burstable/pod${pod.metadata.uid}` })!.value >= usage);
    const node = { container: "", pod: "", namespace: "", image: "", name: "" };
    assert.ok(sample(first, "container_memory_usage_bytes", { ...node, id: "/skiff/burstable" })!.value >= usage, "the Burstable class's cgroup");
    assert.ok(sample(first, "container_memory_working_set_bytes", { ...node, id: "/" })!.value > usage, "the root cgroup: the whole node");
    assert.ok(sample(first, "container_cpu_usage_seconds_total", { ...node, id: "/", cpu: "total" })!.value > cpu.value);
    assert.ok(sample(first, "container_fs_limit_bytes", { ...node, id: "/" })!.value > 0, "the data directory's filesystem on the root");

    // The CPU limit as the kernel holds it: a CFS quota of 200m of the 100 ms period, and shares from the request.
    assert.equal(sample(first, "container_spec_cpu_period", work)?.value, 100_000);
    assert.equal(sample(first, "container_spec_cpu_quota", work)?.value, 20_000, "0.2 CPU × the period");
    assert.equal(sample(first, "container_spec_cpu_shares", work)?.value, 102, "100m as shares");
    const periods = sample(first, "container_cpu_cfs_periods_total", work)!.value;
    assert.ok(periods > 0, "a busy container with a quota counts enforcement periods");

    // The machine's CPUs as the node counts them.
    const cores = sample(first, "machine_cpu_cores", {})!;
    assert.equal(cores.value, Number(execFileSync("nproc", { encoding: "utf8" }).trim()));
    assert.equal(sample(first, "machine_memory_bytes", {})!.value > usage, true);
    assert.match(first, /^machine_cpu_cores\{boot_id="[^"]+",machine_id="[^"]*",system_uuid="[^"]*"\} /m);

    // The writable layer's 2 MiB, as containerd measures the container's snapshot (it refreshes every few seconds),
    // and periods that went on elapsing meanwhile.
    const layer = await eventually(async () => {
      const text = await scrape();
      const grown = (sample(text, "container_cpu_cfs_periods_total", work)?.value ?? 0) > periods;
      return grown && (sample(text, "container_fs_usage_bytes", work)?.value ?? 0) >= 2 * MiB ? text : undefined;
    }, 30_000, 1_000) as string;
    const device = /^container_fs_usage_bytes\{container="work",device="([^"]*)"/m.exec(layer)?.[1];
    assert.ok(device, `the snapshotter's filesystem names a device\n${layer.split("\n").filter((l) => l.startsWith("container_fs_usage")).join("\n")}`);
    assert.ok(sample(layer, "container_fs_limit_bytes", work)!.value > 2 * MiB);
    assert.ok(sample(layer, "container_cpu_cfs_periods_total", work)!.value > periods, "periods keep elapsing");
    assert.ok(sample(layer, "container_cpu_cfs_throttled_periods_total", work)!.value > 0, "a busy loop over its quota is throttled");
    assert.ok(sample(layer, "container_cpu_cfs_throttled_seconds_total", work)!.value > 0);

    // A megabyte sent to the pod: counted on its sandbox's eth0 (no container name, the pause image), as the pod's own /proc/net/dev counts it.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(8080, pod.status.podIP, () => socket.end(Buffer.alloc(MiB, 7)));
      socket.once("close", () => resolve());
      socket.once("error", reject);
    });
    const eth0 = { container: "", image: SANDBOX_IMAGE, pod: "stats", namespace: "default", interface: "eth0" };
    const second = await eventually(async () => {
      const text = await scrape();
      return (sample(text, "container_network_receive_bytes_total", eth0)?.value ?? 0) >= MiB ? text : undefined;
    }, 20_000, 500) as string;
    const rx = sample(second, "container_network_receive_bytes_total", eth0)!.value;
    const inside = /^\s*eth0:\s*(\d+)/m.exec(await kubectl.ok(["exec", "stats", "--", "cat", "/proc/net/dev"]));
    assert.ok(inside, "the pod's eth0");
    assert.ok(rx <= Number(inside[1]) && Number(inside[1]) - rx < 256 * 1024, `scraped ${rx}, then read ${inside[1]} inside the pod`);
    assert.ok(sample(second, "container_network_transmit_bytes_total", eth0)!.value > 0, "the TCP acknowledgements");
    assert.equal(sample(second, "container_network_receive_bytes_total", { ...work }), undefined, "network is the pod's, reported once");
    assert.ok(sample(second, "container_cpu_usage_seconds_total", { ...work, cpu: "total" })!.value > cpu.value, "the busy loop's CPU keeps counting");

  });
});
