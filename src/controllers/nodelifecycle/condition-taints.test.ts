import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Node, NodeCondition, Taint } from "kubernetes-types/core/v1.js";
import { conditionTaints } from "./condition-taints.js";

const NOW = "2026-01-01T00:00:00Z";
const cond = (type: string, status: string): NodeCondition => ({ type, status });
const healthy = [cond("Ready", "True"), cond("MemoryPressure", "False"), cond("DiskPressure", "False"), cond("PIDPressure", "False")];
const newNode = (conditions: NodeCondition[], taints?: Taint[], unschedulable?: boolean): Node =>
  ({ metadata: { name: "n" }, spec: { taints, unschedulable }, status: { conditions } });

describe("conditionTaints", () => {
  const cases: [string, Node, Taint[] | undefined][] = [
    ["a new node that turns Ready loses the not-ready taint", newNode(healthy, [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]), []],
    ["a Ready node with no condition taints is left as it is", newNode(healthy, [{ key: "dedicated", value: "db", effect: "NoSchedule" }]), undefined],
    ["a node not ready yet keeps its taint and gets the NoExecute one", newNode([cond("Ready", "False")], [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]), [
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }, { key: "node.kubernetes.io/not-ready", effect: "NoExecute", timeAdded: NOW },
    ]],
    ["an unreachable node swaps not-ready for unreachable", newNode([cond("Ready", "Unknown")], [
      { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }, { key: "node.kubernetes.io/not-ready", effect: "NoExecute", timeAdded: "2025-12-31T00:00:00Z" },
    ]), [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule", timeAdded: NOW }, { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: NOW }]],
    ["pressure and cordoning taint for scheduling only", newNode([cond("Ready", "True"), cond("MemoryPressure", "True"), cond("DiskPressure", "True")], [], true), [
      { key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule", timeAdded: NOW },
      { key: "node.kubernetes.io/disk-pressure", effect: "NoSchedule", timeAdded: NOW },
      { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: NOW },
    ]],
    ["an uncordoned node loses the unschedulable taint, other taints kept", newNode(healthy, [
      { key: "dedicated", effect: "NoExecute" }, { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: NOW },
    ]), [{ key: "dedicated", effect: "NoExecute" }]],
    ["a node that never reported anything is not kept tainted (upstream)", newNode([], [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]), []],
  ];
  for (const [name, node, want] of cases) {
    it(name, () => {
      const before = structuredClone(node);
      assert.deepEqual(conditionTaints(node, NOW), want);
      assert.deepEqual(node, before, "the cached node is not changed");
    });
  }
});
