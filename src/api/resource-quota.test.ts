import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod, ResourceQuota } from "kubernetes-types/core/v1.js";
import { formatAmount, isTerminalPod, quotaApplies, usageOf } from "./resource-quota.js";

const pod = (spec: Partial<Pod["spec"]>, extra: Partial<Pod> = {}): Pod => ({ metadata: { name: "p", namespace: "n" }, spec: { containers: [], ...spec }, ...extra });
const quota = (spec: ResourceQuota["spec"]): ResourceQuota => ({ metadata: { name: "q" }, spec });

describe("quota usage of a pod", () => {
  it("sums containers, takes the largest init container, and adds the overhead, as upstream's PodRequests", () => {
    const usage = usageOf("", "pods", pod({
      containers: [{ name: "a", resources: { requests: { cpu: "100m", memory: "64Mi" } } }, { name: "b", resources: { requests: { cpu: "200m" }, limits: { cpu: "1" } } }],
      initContainers: [{ name: "init", resources: { requests: { cpu: "500m" } } }],
      overhead: { cpu: "10m" },
    }));
    assert.equal(usage.get("requests.cpu"), 510);
    assert.equal(usage.get("cpu"), 510);
    assert.equal(usage.get("requests.memory"), 64 * 2 ** 20);
    assert.equal(usage.get("limits.cpu"), 1010);
  });

  it("counts restartable init containers (sidecars) beside the app containers", () => {
    const usage = usageOf("", "pods", pod({
      containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }],
      initContainers: [{ name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "50m" } } }, { name: "init", resources: { requests: { cpu: "120m" } } }],
    }));
    assert.equal(usage.get("requests.cpu"), 170);
  });

  it("counts extended resources only as requests, and hugepages and ephemeral storage both ways", () => {
    const usage = usageOf("", "pods", pod({ containers: [{ name: "a", resources: {
      requests: { "example.com/gpu": "2", "ephemeral-storage": "1Gi", "hugepages-2Mi": "4Mi" },
      limits: { "example.com/gpu": "2", "ephemeral-storage": "2Gi", "hugepages-2Mi": "4Mi" },
    } }] }));
    assert.equal(usage.get("requests.example.com/gpu"), 2);
    assert.equal(usage.has("limits.example.com/gpu"), false);
    assert.equal(usage.get("ephemeral-storage"), 2 ** 30);
    assert.equal(usage.get("limits.ephemeral-storage"), 2 ** 31);
    assert.equal(usage.get("requests.hugepages-2Mi"), 4 * 2 ** 20);
  });

  it("stops counting a pod that finished or whose grace period ran out", () => {
    assert.equal(usageOf("", "pods", pod({}, { status: { phase: "Succeeded" } })).size, 0);
    const deleting = pod({}, { metadata: { name: "p", deletionTimestamp: new Date(Date.now() - 60_000).toISOString(), deletionGracePeriodSeconds: 30 } });
    assert.equal(isTerminalPod(deleting), true);
    const graceful = pod({}, { metadata: { name: "p", deletionTimestamp: new Date(Date.now() + 60_000).toISOString(), deletionGracePeriodSeconds: 30 } });
    assert.equal(isTerminalPod(graceful), false);
  });
});

describe("quota scopes", () => {
  const bestEffort = pod({ containers: [{ name: "a" }] });
  const burstable = pod({ containers: [{ name: "a", resources: { requests: { cpu: "1" } } }], activeDeadlineSeconds: 30, priorityClassName: "high" });
  const cases: [string, ResourceQuota["spec"], Pod, boolean][] = [
    ["no scope counts every pod", { hard: { pods: "1" } }, bestEffort, true],
    ["BestEffort", { scopes: ["BestEffort"] }, bestEffort, true],
    ["BestEffort skips a burstable pod", { scopes: ["BestEffort"] }, burstable, false],
    ["NotBestEffort", { scopes: ["NotBestEffort"] }, burstable, true],
    ["Terminating", { scopes: ["Terminating"] }, burstable, true],
    ["NotTerminating skips a pod with a deadline", { scopes: ["NotTerminating"] }, burstable, false],
    ["scopes are ANDed", { scopes: ["Terminating", "BestEffort"] }, burstable, false],
    ["PriorityClass In", { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["high"] }] } }, burstable, true],
    ["PriorityClass NotIn", { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "NotIn", values: ["high"] }] } }, burstable, false],
    ["PriorityClass Exists", { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "Exists" }] } }, bestEffort, false],
    ["NotBestEffort by selector", { scopeSelector: { matchExpressions: [{ scopeName: "NotBestEffort", operator: "Exists" }] } }, burstable, true],
  ];
  for (const [name, spec, p, want] of cases) it(name, () => assert.equal(quotaApplies(quota(spec), "", "pods", p), want));

  it("a scoped quota counts no other kind", () => {
    assert.equal(quotaApplies(quota({ scopes: ["NotTerminating"] }), "", "configmaps", { metadata: {} }), false);
    assert.equal(quotaApplies(quota({}), "", "configmaps", { metadata: {} }), true);
  });
});

describe("quota usage of a claim", () => {
  it("counts a claim and its storage for its storage class too, the beta annotation before the field", () => {
    const claim = (storageClassName?: string, annotations?: Record<string, string>) =>
      ({ metadata: { namespace: "n", annotations }, spec: { storageClassName, resources: { requests: { storage: "5Gi" } } } });
    assert.deepEqual(Object.fromEntries(usageOf("", "persistentvolumeclaims", claim("gold"))), {
      "count/persistentvolumeclaims": 1, persistentvolumeclaims: 1, "requests.storage": 5 * 2 ** 30,
      "gold.storageclass.storage.k8s.io/persistentvolumeclaims": 1, "gold.storageclass.storage.k8s.io/requests.storage": 5 * 2 ** 30,
    });
    const annotated = usageOf("", "persistentvolumeclaims", claim("gold", { "volume.beta.kubernetes.io/storage-class": "silver" }));
    assert.equal(annotated.get("silver.storageclass.storage.k8s.io/persistentvolumeclaims"), 1);
    assert.equal(annotated.has("gold.storageclass.storage.k8s.io/persistentvolumeclaims"), false);
    assert.equal([...usageOf("", "persistentvolumeclaims", claim()).keys()].some((k) => k.includes("storageclass")), false);
  });

  it("formats a storage class's storage as a quantity and its claim count as a number", () => {
    assert.equal(formatAmount("gold.storageclass.storage.k8s.io/requests.storage", 2 ** 30), "1Gi");
    assert.equal(formatAmount("gold.storageclass.storage.k8s.io/persistentvolumeclaims", 2), "2");
  });
});
