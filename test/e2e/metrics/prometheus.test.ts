/**
 * A real Prometheus (Debian's `prometheus`, with static targets: its build
 * has no kubernetes_sd_configs) scrapes a running `skiff server`: the API
 * server's /metrics and the kubelet's /metrics, /metrics/resource and
 * /metrics/probes (the node's Service proxy families among them), all over TLS with the cluster CA and a client certificate
 * of a user in system:monitoring. Its HTTP API shows every target up and
 * values that move when kubectl does work.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { onProcessEnd } from "../../helpers/process-end.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { userFromCsr } from "../../helpers/users.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Prometheus' and kubectl's JSON

const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
const NODE = "metrics-node";

describe("Prometheus scrapes the API server and the kubelet", { skip: hasPrometheus ? false : "prometheus is not installed" }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let prometheus: ChildProcess | undefined;
  let promUrl = "";
  let stderr = "";
  const scratch = mkdtempSync(join(tmpdir(), "skiff-prometheus-"));

  /** An instant query's samples, as [labels, value]. */
  const query = async (q: string): Promise<[Json, number][]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = await res.json() as Json;
    assert.equal(body.status, "success", `query ${q}: ${JSON.stringify(body)}`);
    return (body.data.result as Json[]).map((r) => [r.metric, Number(r.value[1])]);
  };
  const scalar = async (q: string): Promise<number | undefined> => (await query(q))[0]?.[1];

  before(async () => {
    server = await startServer({ runtime: "process", args: ["--kubelet-port", "0", "--node-name", NODE] });
    kubectl = kubectlFor(server.kubeconfig);
    const node = await eventually(async () => {
      const n = JSON.parse(await kubectl.ok(["get", "node", NODE, "-o", "json"])) as Json;
      return n.status?.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True") ? n : undefined;
    }, 30_000, 200);
    const caFile = join(server.dataDir, "tls", "ca.crt");
    // Prometheus' own identity: the bootstrap policy lets system:monitoring read /metrics; the kubelet asks for nodes/metrics.
    await userFromCsr(kubectl, { name: "prometheus", groups: ["system:monitoring"], dir: scratch, server: server.url, caFile });
    await kubectl.ok(["create", "clusterrole", "prometheus-kubelet", "--verb=get", "--resource=nodes/metrics"]);
    await kubectl.ok(["create", "clusterrolebinding", "prometheus-kubelet", "--clusterrole=prometheus-kubelet", "--user=prometheus"]);
    const kubeletPort = node!.status.daemonEndpoints.kubeletEndpoint.Port as number;
    const kubeletHost = (node!.status.addresses as Json[]).find((a) => a.type === "InternalIP")!.address as string;
    const tls = `{ca_file: "${caFile}", cert_file: "${join(scratch, "prometheus.crt")}", key_file: "${join(scratch, "prometheus.key")}"}`;
    const config = join(scratch, "prometheus.yml");
    writeFileSync(config, [
      "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}",
      "scrape_configs:",
      `- {job_name: apiserver, scheme: https, tls_config: ${tls}, static_configs: [{targets: ["${new URL(server.url).host}"]}]}`,
      `- {job_name: kubelet, scheme: https, tls_config: ${tls}, static_configs: [{targets: ["${kubeletHost}:${kubeletPort}"]}]}`,
      `- {job_name: kubelet-resource, scheme: https, metrics_path: /metrics/resource, tls_config: ${tls}, static_configs: [{targets: ["${kubeletHost}:${kubeletPort}"]}]}`,
      `- {job_name: kubelet-probes, scheme: https, metrics_path: /metrics/probes, tls_config: ${tls}, static_configs: [{targets: ["${kubeletHost}:${kubeletPort}"]}]}`,
      "",
    ].join("\n"));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    mkdirSync(join(scratch, "data"));
    prometheus = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(scratch, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
    prometheus.stderr!.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-20_000); });
    const child = prometheus;
    onProcessEnd(() => { if (child.exitCode === null) child.kill("SIGKILL"); });
    await eventually(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, 30_000, 200);
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once("exit", r));
      prometheus.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (prometheus.exitCode === null) prometheus.kill("SIGKILL");
    }
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("finds every target up", async () => {
    const up = await eventually(async () => {
      const samples = await query("up");
      return samples.length === 4 && samples.every(([, v]) => v === 1) ? samples : undefined;
    }, 30_000, 500).catch(async (err) => {
      const targets = await (await fetch(`${promUrl}/api/v1/targets`)).json() as Json;
      throw new Error(`targets not up: ${JSON.stringify(targets.data?.activeTargets?.map((t: Json) => [t.labels.job, t.health, t.lastError]))}\n${stderr}`, { cause: err });
    });
    assert.deepEqual(up!.map(([l]) => l.job).sort(), ["apiserver", "kubelet", "kubelet-probes", "kubelet-resource"]);
  });

  it("sees apiserver_request_total rise when kubectl creates objects", async () => {
    const creates = 'sum(apiserver_request_total{job="apiserver",verb="POST",resource="configmaps",scope="resource",code="201"})';
    // Scraped at least once (the family exists), then counted.
    await eventually(async () => ((await scalar('count(apiserver_request_total{job="apiserver"})')) ?? 0) > 0, 15_000, 500);
    const before = (await scalar(creates)) ?? 0;
    for (const name of ["m1", "m2", "m3"]) await kubectl.ok(["create", "configmap", name, "--from-literal=a=b"]);
    const afterCount = await eventually(async () => { const v = (await scalar(creates)) ?? 0; return v >= before + 3 ? v : undefined; }, 15_000, 500);
    assert.ok(afterCount! >= before + 3);
    const stored = await eventually(() => scalar('apiserver_storage_objects{job="apiserver",resource="configmaps"}'), 15_000, 500);
    assert.ok(stored! >= 3, `configmaps stored: ${stored}`);
    assert.ok(((await scalar('sum(etcd_request_duration_seconds_count{job="apiserver",operation="create",type="configmaps"})')) ?? 0) >= 3);
    assert.ok(((await scalar('sum(apiserver_request_duration_seconds_count{job="apiserver",verb="LIST"})')) ?? 0) > 0);
    assert.ok(((await scalar('sum(apiserver_admission_step_admission_duration_seconds_count{job="apiserver",type="validate",operation="CREATE"})')) ?? 0) >= 3);
    assert.ok(((await scalar('sum(apiserver_admission_controller_admission_duration_seconds_count{job="apiserver",name="ResourceQuota",operation="CREATE"})')) ?? 0) >= 3);
  });

  it("sees the scheduler, the controllers and the kubelet work on a Deployment", async () => {
    await kubectl.ok(["create", "deployment", "sleeper", "--image=unused", "--", "sleep", "600"]);
    const scheduled = await eventually(async () => {
      const v = await scalar('sum(scheduler_schedule_attempts_total{job="apiserver",result="scheduled",profile="default-scheduler"})');
      return v && v >= 1 ? v : undefined;
    }, 30_000, 500);
    assert.ok(scheduled! >= 1);
    const deploymentAdds = await eventually(async () => { const v = await scalar('workqueue_adds_total{job="apiserver",name="deployment"}'); return v && v >= 1 ? v : undefined; }, 15_000, 500);
    assert.ok(deploymentAdds! >= 1);
    const running = await eventually(async () => { const v = await scalar('kubelet_running_pods{job="kubelet"}'); return v && v >= 1 ? v : undefined; }, 30_000, 500);
    assert.ok(running! >= 1);
    assert.ok(((await scalar('kubelet_running_containers{job="kubelet",container_state="running"}')) ?? 0) >= 1);
    assert.equal(await scalar(`kubelet_node_name{job="kubelet",node="${NODE}"}`), 1);
    assert.ok(((await scalar('sum(kubelet_runtime_operations_total{job="kubelet",operation_type="run_podsandbox"})')) ?? 0) >= 1);
    const started = await eventually(async () => { const v = await scalar('kubelet_pod_start_duration_seconds_count{job="kubelet"}'); return v && v >= 1 ? v : undefined; }, 15_000, 500);
    assert.ok(started! >= 1);
    assert.equal(await scalar('leader_election_master_status{job="apiserver",name="kube-scheduler"}'), 1);
    assert.equal(await scalar('leader_election_master_status{job="apiserver",name="kube-controller-manager"}'), 1);
    assert.ok(((await scalar('scheduler_pending_pods{job="apiserver",queue="active"}')) ?? -1) >= 0);
  });

  it("reads the kubelet's resource metrics, timestamped, and its probe metrics", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: `apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  containers:
  - name: probed
    image: unused
    command: ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 600"]
    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
` });
    const cpu = await eventually(async () => {
      const v = await scalar('container_cpu_usage_seconds_total{job="kubelet-resource",namespace="default",pod="probed",container="probed"}');
      return v && v > 0 ? v : undefined;
    }, 60_000, 500);
    assert.ok(cpu! > 0);
    // Prometheus keeps the kubelet's own timestamps: the stats' time, up to a sampling period (10 s) before the scrape.
    const at = await scalar('timestamp(node_cpu_usage_seconds_total{job="kubelet-resource"})');
    assert.ok(at! * 1000 <= Date.now() && at! * 1000 > Date.now() - 60_000, `timestamp ${at}`);
    assert.ok(((await scalar('node_memory_working_set_bytes{job="kubelet-resource"}')) ?? 0) > 0);
    assert.ok(((await scalar('pod_memory_working_set_bytes{job="kubelet-resource",namespace="default",pod="probed"}')) ?? 0) > 0);
    assert.equal(await scalar('resource_scrape_error{job="kubelet-resource"}'), 0);
    const probes = await eventually(async () => {
      const v = await scalar('prober_probe_total{job="kubelet-probes",namespace="default",pod="probed",container="probed",probe_type="Readiness",result="successful"}');
      return v && v >= 1 ? v : undefined;
    }, 30_000, 500);
    assert.ok(probes! >= 1);
    assert.ok(((await scalar('prober_probe_duration_seconds_count{job="kubelet-probes",pod="probed",probe_type="Readiness"}')) ?? 0) >= 1);
  });

  it("scrapes the node's Service proxy families from the kubelet and the API server", async () => {
    await kubectl.ok(["create", "service", "clusterip", "scraped", "--tcp=80:8080"]);
    for (const job of ["kubelet", "apiserver"]) {
      const changes = await eventually(async () => {
        const v = await scalar(`kubeproxy_sync_proxy_rules_service_changes_total{job="${job}"}`);
        return v && v >= 1 ? v : undefined;
      }, 15_000, 500);
      assert.ok(changes! >= 1, job);
      assert.ok(((await scalar(`kubeproxy_sync_proxy_rules_duration_seconds_count{job="${job}"}`)) ?? 0) >= 1, job);
      assert.ok(((await scalar(`kubeproxy_sync_proxy_rules_last_timestamp_seconds{job="${job}"}`)) ?? 0) > Date.now() / 1000 - 600, job);
    }
  });

  it("gets Node's process metrics from every target", async () => {
    for (const family of ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes"]) {
      const samples = await query(`${family}{job=~"apiserver|kubelet"}`);
      assert.deepEqual(samples.map(([l]) => l.job).sort(), ["apiserver", "kubelet"], family);
      assert.ok(samples.every(([, v]) => v >= 0), family);
    }
  });

  it("refuses /metrics to a user outside system:monitoring", async () => {
    const nobody = await userFromCsr(kubectl, { name: "nobody", dir: scratch, server: server.url, caFile: join(server.dataDir, "tls", "ca.crt") });
    const res = await kubectlFor(nobody).run(["get", "--raw", "/metrics"]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /forbidden: User "nobody" cannot get path "\/metrics"/);
  });
});
