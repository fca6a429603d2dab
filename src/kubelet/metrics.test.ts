import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "../metrics/index.js";
import { KubeletMetrics } from "./metrics.js";
import type { ContainerRuntime } from "./kuberuntime/runtime.js";

describe("KubeletMetrics", () => {
  it("counts each runtime call by upstream's operation_type, with its errors, and passes the rest through", async () => {
    const registry = new Registry();
    const m = new KubeletMetrics(registry, "n1", () => ({ pods: 2, containers: new Map([["running", 3], ["exited", 1]]) }));
    const fake = {
      name: "fake://1",
      calls: 0,
      async listContainers() { this.calls++; return []; },
      async runPodSandbox() { return "sandbox-1"; },
      async pullImage() { throw new Error("no registry"); },
    };
    const runtime = m.instrument(fake as unknown as ContainerRuntime);
    assert.equal(runtime.name, "fake://1");
    assert.equal(runtime.exec, undefined, "what the runtime lacks stays missing, so callers can tell");
    await runtime.listContainers({});
    await runtime.listContainers({});
    assert.equal(fake.calls, 2, "the runtime's own this");
    assert.equal(await runtime.runPodSandbox({} as never), "sandbox-1");
    await assert.rejects(runtime.pullImage({ image: "x" } as never), /no registry/);
    const text = await registry.metrics();
    assert.match(text, /^kubelet_runtime_operations_total\{operation_type="list_containers"\} 2$/m);
    assert.match(text, /^kubelet_runtime_operations_total\{operation_type="run_podsandbox"\} 1$/m);
    assert.match(text, /^kubelet_runtime_operations_total\{operation_type="pull_image"\} 1$/m);
    assert.match(text, /^kubelet_runtime_operations_errors_total\{operation_type="pull_image"\} 1$/m);
    assert.doesNotMatch(text, /kubelet_runtime_operations_errors_total\{operation_type="list_containers"\}/);
    assert.match(text, /^kubelet_runtime_operations_duration_seconds_count\{operation_type="list_containers"\} 2$/m);
    assert.match(text, /^kubelet_node_name\{node="n1"\} 1$/m);
    assert.match(text, /^kubelet_running_pods 2$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="running"\} 3$/m);
    assert.match(text, /^kubelet_running_containers\{container_state="created"\} 0$/m);
  });
});
