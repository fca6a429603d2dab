import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterRole, PolicyRule } from "kubernetes-types/rbac/v1.js";
import { aggregateRules } from "./clusterrole-aggregation-controller.js";

const role = (name: string, labels: Record<string, string>, rules: PolicyRule[]): ClusterRole => ({ metadata: { name, labels }, rules });
const aggregated = (name: string, ...selectors: Record<string, string>[]): ClusterRole =>
  ({ metadata: { name }, aggregationRule: { clusterRoleSelectors: selectors.map((matchLabels) => ({ matchLabels })) } });
const get = (r: string): PolicyRule => ({ verbs: ["get"], apiGroups: [""], resources: [r] });

describe("aggregateRules", () => {
  const cases: { name: string; role: ClusterRole; all: ClusterRole[]; want: PolicyRule[] }[] = [
    { name: "nothing matches", role: aggregated("view", { v: "1" }), all: [role("a", { x: "1" }, [get("pods")])], want: [] },
    { name: "name order within a selector", role: aggregated("view", { v: "1" }), all: [role("b", { v: "1" }, [get("b")]), role("a", { v: "1" }, [get("a")])], want: [get("a"), get("b")] },
    { name: "selector order first", role: aggregated("view", { s: "2" }, { s: "1" }), all: [role("a", { s: "1" }, [get("a")]), role("b", { s: "2" }, [get("b")])], want: [get("b"), get("a")] },
    { name: "duplicates once", role: aggregated("view", { v: "1" }), all: [role("a", { v: "1" }, [get("x")]), role("b", { v: "1" }, [get("x"), get("y")])], want: [get("x"), get("y")] },
    { name: "a role matching two selectors counts once", role: aggregated("view", { v: "1" }, { w: "1" }), all: [role("a", { v: "1", w: "1" }, [get("x")])], want: [get("x")] },
    { name: "never itself", role: { ...aggregated("view", { v: "1" }), metadata: { name: "view", labels: { v: "1" } }, rules: [get("old")] }, all: [role("view", { v: "1" }, [get("old")]), role("a", { v: "1" }, [get("a")])], want: [get("a")] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(aggregateRules(c.role, c.all), c.want));
});
