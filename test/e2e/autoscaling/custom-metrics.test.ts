/**
 * The HorizontalPodAutoscaler on metrics of a custom metrics adapter: an
 * extension server on loopback, behind a selector-less Service and its
 * EndpointSlice, registered through APIServices for custom.metrics.k8s.io
 * v1beta2 and external.metrics.k8s.io v1beta1. A Pods metric shared by the
 * pods of web (50 requests per second in all, against 10 a pod) and an
 * External metric (a queue of 20 against 5 a pod) and an Object metric of a
 * Deployment (300 hits against 100 a pod) scale their Deployments
 * to what upstream's formulas give, as `kubectl get hpa` and `kubectl
 * describe hpa` show; on simulated nodes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client, loadKubeconfig } from "../../../src/client/index.js";
import { startExtensionServer, type ExtensionServer } from "../../helpers/extension-apiserver.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { metricsHandler } from "../../helpers/metrics-apiserver.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const here = join(repoRoot, "test/e2e/autoscaling");

const service = (port: number) => `
apiVersion: v1
kind: Namespace
metadata: {name: custom-metrics}
---
apiVersion: v1
kind: Service
metadata: {name: adapter, namespace: custom-metrics}
spec:
  ports: [{name: https, port: 443, targetPort: ${port}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: adapter-1, namespace: custom-metrics, labels: {kubernetes.io/service-name: adapter}}
addressType: IPv4
ports: [{name: https, port: ${port}, protocol: TCP}]
endpoints: [{addresses: ["127.0.0.1"], conditions: {ready: true}}]
`;

const apiService = (group: string, version: string, caBundle: string) => JSON.stringify({
  apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name: `${version}.${group}` },
  spec: { group, version, service: { namespace: "custom-metrics", name: "adapter", port: 443 }, caBundle, groupPriorityMinimum: 100, versionPriority: 200 },
});

/** Requests per second that web's pods share, and the worker queue's length. */
const TOTAL_RPS = 50;
const QUEUE = "20";
/** Hits on the api Deployment, an Object metric. */
const HITS = "300";

describe("HorizontalPodAutoscaler on custom and external metrics", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let extension: ExtensionServer;
  const asked: { metric: string; labelSelector: string }[] = [];
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  /** kubectl's output once it matches; the last one seen in the error when it never does. */
  const until = async (args: string[], re: RegExp, timeoutMs = 60_000): Promise<string> => {
    let last = "";
    try {
      return await eventually(async () => {
        last = await kubectl.ok(args);
        return re.test(last) ? last : undefined;
      }, timeoutMs, 500) as string;
    } catch (err) {
      const describe = args[0] === "get" && args[1] === "hpa" ? await kubectl.ok(["describe", "hpa", args[2]!]).catch(() => "") : "";
      throw new Error(`kubectl ${args.join(" ")} never matched ${re}; last:\n${last}\n${describe}`, { cause: err });
    }
  };

  before(async () => {
    server = await startServer({ simNodes: 1, args: ["--horizontal-pod-autoscaler-sync-period", "1s", "--horizontal-pod-autoscaler-downscale-stabilization", "5s"] });
    kubectl = kubectlFor(server.kubeconfig);
    const client = new Client(loadKubeconfig(server.kubeconfig));
    const cm = await json(["get", "configmap", "extension-apiserver-authentication", "-n", "kube-system"]);
    extension = await startExtensionServer(cm.data["requestheader-client-ca-file"], ["adapter.custom-metrics.svc"], {
      handle: metricsHandler({
        podsMetrics: ["requests_per_second"], externalMetrics: ["queue_length"],
        // The load is spread over the pods the selector picks, so more pods each serve less.
        pods: async (namespace, metric, labelSelector) => {
          asked.push({ metric, labelSelector });
          if (metric !== "requests_per_second") return undefined;
          const pods = (await client.list({ group: "", version: "v1", resource: "pods", namespaced: true }, namespace, { labelSelector })).items;
          return Object.fromEntries(pods.map((p) => [p.metadata.name!, `${(TOTAL_RPS * 1000) / pods.length}m`]));
        },
        object: (_namespace, resource, name, metric) => {
          asked.push({ metric, labelSelector: `${resource}/${name}` });
          return resource === "deployments.apps" && name === "api" && metric === "hits" ? HITS : undefined;
        },
        external: (_namespace, metric, labelSelector) => {
          asked.push({ metric, labelSelector });
          return metric === "queue_length" && labelSelector === "queue=worker" ? [{ labels: { queue: "worker" }, value: QUEUE }] : undefined;
        },
      }),
    });
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).includes(" Ready "), 30_000);
  });
  after(async () => {
    await extension?.close();
    await server?.[Symbol.asyncDispose]();
  });

  it("registers the adapter for both metrics APIs", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: service(extension.port) });
    await kubectl.ok(["apply", "-f", "-"], { input: apiService("custom.metrics.k8s.io", "v1beta2", extension.caBundle) });
    await kubectl.ok(["apply", "-f", "-"], { input: apiService("external.metrics.k8s.io", "v1beta1", extension.caBundle) });
    const listed = await until(["get", "apiservices"], /^v1beta2\.custom\.metrics\.k8s\.io\s+custom-metrics\/adapter\s+True\s[\s\S]*^v1beta1\.external\.metrics\.k8s\.io\s+custom-metrics\/adapter\s+True\s|^v1beta1\.external\.metrics\.k8s\.io\s+custom-metrics\/adapter\s+True\s[\s\S]*^v1beta2\.custom\.metrics\.k8s\.io\s+custom-metrics\/adapter\s+True\s/m, 30_000);
    assert.ok(listed);
    const raw = JSON.parse(await kubectl.ok(["get", "--raw", "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=queue%3Dworker"]));
    assert.equal(raw.kind, "ExternalMetricValueList");
    assert.equal(raw.items[0].value, QUEUE);
  });

  it("scales web on a Pods metric, worker on an External one and api on an Object one, as upstream's formulas give", async () => {
    await kubectl.ok(["apply", "-f", join(here, "custom-metrics.yaml")]);
    // web: 2 pods at 25 a second against 10 → ceil(25/10 × 2) = 5; then 5 pods at 10 each, on target.
    // worker: a queue of 20 against 5 a pod → ceil(20/5) = 4; then 20/4 = 5 a pod, on target.
    const web = await until(["get", "hpa", "rps"], /^rps\s+Deployment\/web\s+10\/10\s+1\s+10\s+5\s+\d+s$/m, 90_000);
    assert.match(web, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
    const queue = await until(["get", "hpa", "queue"], /^queue\s+Deployment\/worker\s+5\/5 \(avg\)\s+1\s+10\s+4\s+\d+s$/m, 90_000);
    assert.ok(queue);
    // api: 300 hits on its Deployment against 100 a pod → ceil(300/100) = 3; then 300/3 = 100 a pod.
    const hits = await until(["get", "hpa", "hits"], /^hits\s+Deployment\/api\s+100\/100 \(avg\)\s+1\s+10\s+3\s+\d+s$/m, 90_000);
    assert.ok(hits);
    assert.equal((await json(["get", "deployment", "api"])).spec.replicas, 3);
    assert.ok(asked.some((a) => a.metric === "hits" && a.labelSelector === "deployments.apps/api"), "the Object metric asked at deployments.apps/api");
    assert.equal((await json(["get", "deployment", "web"])).spec.replicas, 5);
    assert.equal((await json(["get", "deployment", "worker"])).spec.replicas, 4);

    const rps = await kubectl.ok(["describe", "hpa", "rps"]);
    assert.match(rps, /"requests_per_second" on pods:\s+10 \/ 10/);
    assert.match(rps, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from pods metric requests_per_second/);
    assert.match(rps, /Normal\s+SuccessfulRescale\s+.*New size: 5; reason: pods metric requests_per_second above target/);
    const q = await kubectl.ok(["describe", "hpa", "queue"]);
    assert.match(q, /"queue_length" \(target average value\):\s+5 \/ 5/);
    assert.match(q, /Normal\s+SuccessfulRescale\s+.*New size: 4; reason: external metric queue_length\(&LabelSelector\{MatchLabels:map\[string\]string\{queue: worker,\},MatchExpressions:\[\]LabelSelectorRequirement\{\},\}\) above target/);

    const status = (await json(["get", "hpa", "queue"])).status;
    assert.deepEqual(status.currentMetrics, [{ type: "External", external: { metric: { name: "queue_length", selector: { matchLabels: { queue: "worker" } } }, current: { averageValue: "5" } } }]);
    // What the controller asked: the target's pods by its selector, the queue by the metric's.
    assert.ok(asked.some((a) => a.metric === "requests_per_second" && a.labelSelector === "app=web"), JSON.stringify(asked.slice(0, 3)));
    assert.ok(asked.some((a) => a.metric === "queue_length" && a.labelSelector === "queue=worker"));
  });

  it("says which metric it cannot read, with upstream's reason", async () => {
    const hpa = {
      apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "missing" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "worker" }, minReplicas: 1, maxReplicas: 10,
        metrics: [{ type: "External", external: { metric: { name: "backlog" }, target: { type: "Value", value: "1" } } }] },
    };
    await kubectl.ok(["create", "-f", "-"], { input: JSON.stringify(hpa) });
    const out = await until(["describe", "hpa", "missing"], /ScalingActive\s+False\s+FailedGetExternalMetric/);
    assert.match(out, /the HPA was unable to compute the replica count: unable to get external metric default\/backlog\/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource/);
    assert.match(out, /Warning\s+FailedGetExternalMetric\s+/);
    assert.match(await kubectl.ok(["get", "hpa", "missing"]), /^missing\s+Deployment\/worker\s+<unknown>\/1\s+1\s+10\s+4\s+\d+s$/m);
  });
});
