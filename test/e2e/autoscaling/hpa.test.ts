/**
 * The HorizontalPodAutoscaler as a kubectl user drives it, on simulated
 * nodes whose pods report a tenth of their cpu request unless an annotation
 * says otherwise: `kubectl autoscale`, load raised and lowered, the
 * Deployment scaled out to its maximum and back in, and what `kubectl get
 * hpa` and `kubectl describe hpa` show on the way. Short sync period and
 * downscale stabilization through the controller manager's flags.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const here = join(repoRoot, "test/e2e/autoscaling");

describe("HorizontalPodAutoscaler on simulated nodes", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const replicas = async (name: string) => (await json(["get", "deployment", name])).spec.replicas as number;
  /** kubectl's output once it matches. */
  const until = (args: string[], re: RegExp, timeoutMs = 30_000) => eventually(async () => {
    const out = await kubectl.ok(args);
    return re.test(out) ? out : undefined;
  }, timeoutMs, 500) as Promise<string>;
  before(async () => {
    server = await startServer({
      simNodes: 2,
      args: ["--horizontal-pod-autoscaler-sync-period", "1s", "--horizontal-pod-autoscaler-downscale-stabilization", "5s", "--sim-usage-fraction", "0.1", "--sim-usage-noise", "0"],
    });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 2, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("scales a Deployment out under load and back in when it stops", async () => {
    await kubectl.ok(["apply", "-f", join(here, "web.yaml")]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]);
    // Simulated pods have usage, as kubectl top shows: a tenth of 100m.
    const top = await until(["top", "pods", "-l", "app=web", "--no-headers"], /^web-\S+\s+\S+\s+\S+\s*\nweb-/m);
    assert.match(top, /^web-\S+\s+10m\s+\d+Mi\s*$/m);

    assert.match(await kubectl.ok(["autoscale", "deploy/web", "--min=2", "--max=5", "--cpu-percent=50"]), /horizontalpodautoscaler.autoscaling\/web autoscaled/);
    const idle = await until(["get", "hpa", "web"], /cpu: 10%\/50%/);
    assert.match(idle, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
    assert.match(idle, /^web\s+Deployment\/web\s+cpu: 10%\/50%\s+2\s+5\s+2\s+\d+s$/m);

    // Load: each pod now uses 400m of its 100m request.
    await kubectl.ok(["annotate", "pods", "-l", "app=web", "skiff.dev/simulated-cpu-usage=400m"]);
    await eventually(async () => (await replicas("web")) === 5, 60_000, 500);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]);
    const busy = await until(["describe", "hpa", "web"], /Deployment pods:\s+5 current \/ 5 desired[\s\S]*ScalingLimited\s+True\s+TooManyReplicas/);
    assert.match(busy, /Reference:\s+Deployment\/web/);
    assert.match(busy, /resource cpu on pods\s+\(as a percentage of request\):\s+\d+% \(\d+m\) \/ 50%/);
    assert.match(busy, /AbleToScale\s+True\s+\S+/);
    assert.match(busy, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
    assert.match(busy, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: \d; reason: cpu resource utilization \(percentage of request\) above target/);
    assert.match(await kubectl.ok(["get", "hpa", "web"]), /^web\s+Deployment\/web\s+cpu: \d+%\/50%\s+2\s+5\s+5\s+\d+s$/m);

    // The load stops: after the stabilization window the Deployment is back at its minimum.
    await kubectl.ok(["annotate", "pods", "-l", "app=web", "skiff.dev/simulated-cpu-usage-"]);
    await eventually(async () => (await replicas("web")) === 2, 60_000, 500);
    const calm = await until(["describe", "hpa", "web"], /Deployment pods:\s+2 current \/ 2 desired[\s\S]*New size: 2; reason: All metrics below target/);
    assert.match(calm, /ScalingLimited\s+True\s+TooFewReplicas\s+the desired replica count is less than the minimum replica count/);
    await eventually(async () => /^web\s+Deployment\/web\s+cpu: 10%\/50%\s+2\s+5\s+2\s+\d+s$/m.test(await kubectl.ok(["get", "hpa", "web"])), 30_000, 500);

    // autoscaling/v1, as kubectl autoscale wrote it, shows the same autoscaler.
    const v1 = JSON.parse(await kubectl.ok(["get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web"]));
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(v1.status.currentCPUUtilizationPercentage, 10);

    // Scaled past its bounds by hand, the target comes back within them; scaled to zero, it is left alone.
    await kubectl.ok(["scale", "deployment/web", "--replicas=7"]);
    await until(["describe", "hpa", "web"], /New size: 5; reason: Current number of replicas above Spec.MaxReplicas/);
    await kubectl.ok(["scale", "deployment/web", "--replicas=0"]);
    const disabled = await until(["describe", "hpa", "web"], /ScalingActive\s+False\s+ScalingDisabled\s+scaling is disabled since the replica count of the target is zero/);
    assert.match(disabled, /Deployment pods:\s+0 current \/ 0 desired/);
    assert.equal(await replicas("web"), 0);
  });

  it("scales a custom resource through its scale subresource", async () => {
    await kubectl.ok(["apply", "-f", join(here, "custom-resource.yaml")]);
    await kubectl.ok(["wait", "--for=condition=Established", "crd/workers.example.com", "--timeout=30s"]);
    await eventually(async () => (await kubectl.run(["get", "workers"])).code === 0, 30_000, 500);
    await kubectl.ok(["apply", "-f", join(here, "workers.yaml")]);
    await kubectl.ok(["patch", "worker", "queue", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { replicas: 2, selector: "worker=queue" } })]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/queue-0", "pod/queue-1", "--timeout=60s"]);
    // Each pod uses twice its request, four times the target: 2 pods × 4 = 8 asked, at most twice the count (or 4) per step.
    await kubectl.ok(["annotate", "pods", "-l", "worker=queue", "skiff.dev/simulated-cpu-usage=200m"]);
    const scaled = await until(["describe", "hpa", "queue"], /New size: 8; reason: cpu resource utilization \(percentage of request\) above target/);
    assert.match(scaled, /New size: 4; reason: cpu resource utilization \(percentage of request\) above target/);
    assert.match(scaled, /Reference:\s+Worker\/queue/);
    assert.equal((await json(["get", "worker", "queue"])).spec.replicas, 8);
  });

  it("says why it cannot scale: no requests, no custom metrics API", async () => {
    await kubectl.ok(["apply", "-f", join(here, "other-metrics.yaml")]);
    // Once the pod has a sample, what is missing is its request.
    const noRequests = await until(["describe", "hpa", "no-requests"], /Warning\s+FailedGetResourceMetric\s+.*missing request for cpu in container plain of Pod plain-/);
    assert.match(noRequests, /ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count: missing request for cpu/);
    assert.match(noRequests, /Warning\s+FailedComputeMetricsReplicas\s+.*invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization/);
    assert.match(await kubectl.ok(["get", "hpa", "no-requests"]), /^no-requests\s+Deployment\/plain\s+cpu: <unknown>\/50%\s+1\s+3\s+1\s+\d+s$/m);

    const qps = await until(["describe", "hpa", "qps"], /ScalingActive\s+False\s+FailedGetPodsMetric/);
    assert.match(qps, /the HPA was unable to compute the replica count: unable to get metric requests-per-second: unable to fetch metrics from custom metrics API/);
    // The behavior's unset rules are filled in as upstream's defaults.
    const hpa = await json(["get", "hpa", "qps"]);
    assert.deepEqual(hpa.spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] });
    assert.deepEqual(hpa.spec.behavior.scaleDown, { selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] });
    assert.equal(await replicas("plain"), 1);

    await kubectl.ok(["autoscale", "deployment/plain", "--name=missing-target", "--max=3", "--cpu-percent=50", "--dry-run=client", "-o", "json"]).then((text) => {
      const hpa = JSON.parse(text);
      hpa.spec.scaleTargetRef.name = "gone";
      return kubectl.ok(["create", "-f", "-"], { input: JSON.stringify(hpa) });
    });
    const missing = await until(["describe", "hpa", "missing-target"], /AbleToScale\s+False\s+FailedGetScale/);
    assert.match(missing, /the HPA controller was unable to get the target's current scale: deployments.apps "gone" not found/);
    assert.match(missing, /Warning\s+FailedGetScale\s+.*deployments.apps "gone" not found/);
  });

  it("refuses an autoscaler that would scale to zero or has no room, with the fields at fault", async () => {
    const bad = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "bad" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 0, maxReplicas: 0 } };
    const r = await kubectl.run(["create", "-f", "-"], { input: JSON.stringify(bad) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
    assert.match(r.stderr, /spec.maxReplicas: Invalid value: 0: must be greater than or equal to 1/);
  });
});
