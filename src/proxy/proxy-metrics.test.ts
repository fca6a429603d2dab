import assert from "node:assert/strict";
import { it } from "node:test";
import { renderMetrics } from "../metrics/index.js";
import { LAST_CHANGE_TRIGGER_TIME, Proxier, type BaseProxierOptions } from "./proxier.js";
import type { ProxyMode } from "./proxy-metrics.js";
import { slice, svc } from "./test-fixtures.js";
import { listWatchClient } from "../../test/helpers/list-watch-client.js";
import { samples } from "../../test/helpers/exposition.js";

/** A proxier whose kernel is a list of outcomes: each round takes the next (true when none is left). */
class ScriptedProxier extends Proxier<BaseProxierOptions> {
  outcomes: { ok: boolean; full: boolean }[] = [];
  protected proxyMode(): ProxyMode { return "nftables"; }
  protected override partialSyncs(): boolean { return true; }
  protected forget(): void {}
  protected async apply(): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 5));
    const next = this.outcomes.shift() ?? { ok: true, full: false };
    this.lastSyncFull = next.full;
    return next.ok;
  }
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
};

it("reports kube-proxy's families for each sync: duration, full and partial apart, the last success, changes and network programming latency", async () => {
  const web = { ...svc("web", { clusterIP: "10.96.0.20" }), metadata: { name: "web", namespace: "default", resourceVersion: "1" } };
  const webSlice = { ...slice("web", [["10.244.0.5", true]]), metadata: { ...slice("web", []).metadata, resourceVersion: "1" } };
  const { client, emit } = listWatchClient({ services: [web], endpointslices: [webSlice] });
  const p = new ScriptedProxier(client, { nodeName: "node-a", nodeIPs: ["10.244.0.1"] });
  const ac = new AbortController();
  p.outcomes.push({ ok: true, full: true });
  const before = Date.now() / 1000;
  await p.start(ac.signal);
  let m = samples(await renderMetrics([p.metrics.registry]));
  assert.equal(m.get("kubeproxy_sync_proxy_rules_duration_seconds_count"), 1);
  assert.ok(m.get("kubeproxy_sync_proxy_rules_duration_seconds_sum")! >= 0.004, "the round's time");
  assert.equal(m.get("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"16.384\"}"), 1, "upstream's buckets, 0.001 × 2^n up to 16.384");
  assert.equal(m.get("kubeproxy_sync_full_proxy_rules_duration_seconds_count"), 1);
  assert.equal(m.get("kubeproxy_sync_partial_proxy_rules_duration_seconds_count"), 0);
  assert.ok(m.get("kubeproxy_sync_proxy_rules_last_timestamp_seconds")! >= Math.floor(before));
  assert.equal(m.get("kubeproxy_sync_proxy_rules_service_changes_total"), 1, "the initial list's Service");
  assert.equal(m.get("kubeproxy_sync_proxy_rules_endpoint_changes_total"), 1, "the initial list's slice");
  assert.equal(m.get("kubeproxy_sync_proxy_rules_endpoint_changes_pending"), 0);
  assert.equal(m.get("kubeproxy_network_programming_duration_seconds_count"), 0, "the initial list is no change");
  assert.equal(m.get("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 0);

  // An endpoint change the controller stamped 250 ms ago (after the proxy started), whose first round fails: measured once programmed.
  await new Promise((r) => setTimeout(r, 300));
  p.outcomes.push({ ok: false, full: false });
  const stamped = new Date(Date.now() - 250).toISOString();
  emit("endpointslices", { type: "MODIFIED", object: { ...webSlice, metadata: { ...webSlice.metadata, resourceVersion: "2", annotations: { [LAST_CHANGE_TRIGGER_TIME]: stamped } } } });
  m = samples(await renderMetrics([p.metrics.registry]));
  assert.equal(m.get("kubeproxy_sync_proxy_rules_endpoint_changes_total"), 2);
  assert.equal(m.get("kubeproxy_sync_proxy_rules_endpoint_changes_pending"), 1, "waiting for its round");
  await until(() => p.syncs === 2);
  m = samples(await renderMetrics([p.metrics.registry]));
  assert.equal(m.get("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 1);
  assert.equal(m.get("kubeproxy_sync_proxy_rules_duration_seconds_count"), 3, "failed rounds are timed too");
  assert.equal(m.get("kubeproxy_sync_partial_proxy_rules_duration_seconds_count"), 2);
  assert.equal(m.get("kubeproxy_network_programming_duration_seconds_count"), 1, "once, after the round that succeeded");
  const latency = m.get("kubeproxy_network_programming_duration_seconds_sum")!;
  assert.ok(latency >= 0.25 && latency < 10, `from the trigger time: ${latency}`);
  assert.equal(m.get("kubeproxy_network_programming_duration_seconds_bucket{le=\"0.25\"}"), 0);
  assert.equal(m.get("kubeproxy_network_programming_duration_seconds_bucket{le=\"300\"}"), 1);

  // A Service change without a slice change: counted, and no latency for it.
  emit("services", { type: "MODIFIED", object: { ...web, metadata: { ...web.metadata, resourceVersion: "2" } } });
  await until(() => p.syncs === 3);
  m = samples(await renderMetrics([p.metrics.registry]));
  assert.equal(m.get("kubeproxy_sync_proxy_rules_service_changes_total"), 2);
  assert.equal(m.get("kubeproxy_sync_proxy_rules_service_changes_pending"), 0);
  assert.equal(m.get("kubeproxy_network_programming_duration_seconds_count"), 1);
  assert.ok(m.get("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds")! >= Math.floor(before));
  ac.abort();
});

it("leaves out the full and partial histograms for a proxier that does no partial rounds, with the iptables failure counter", () => {
  class Iptables extends ScriptedProxier {
    protected override proxyMode(): ProxyMode { return "iptables"; }
    protected override partialSyncs(): boolean { return false; }
  }
  const p = new Iptables(listWatchClient({}).client, { nodeName: "node-a", nodeIPs: [] });
  const names = p.metrics.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
  assert.ok(names.includes("kubeproxy_sync_proxy_rules_iptables_restore_failures_total"));
  assert.ok(!names.includes("kubeproxy_sync_proxy_rules_nftables_sync_failures_total"));
  assert.ok(!names.some((n) => n.includes("full") || n.includes("partial")));
});

it("measures network programming latency only from trigger times stamped after the proxy started, and not for a Service whose slice went", async () => {
  const web = { ...svc("web", { clusterIP: "10.96.0.20" }), metadata: { name: "web", namespace: "default", resourceVersion: "1" } };
  const webSlice = { ...slice("web", [["10.244.0.5", true]]), metadata: { ...slice("web", []).metadata, resourceVersion: "1" } };
  const { client, emit } = listWatchClient({ services: [web], endpointslices: [webSlice] });
  const beforeStart = new Date(Date.now() - 1000).toISOString();
  const p = new ScriptedProxier(client, { nodeName: "node-a", nodeIPs: ["10.244.0.1"] });
  const ac = new AbortController();
  await p.start(ac.signal);
  const count = async () => samples(await renderMetrics([p.metrics.registry])).get("kubeproxy_network_programming_duration_seconds_count");
  const modified = (rv: string, annotations?: Record<string, string>) =>
    emit("endpointslices", { type: "MODIFIED", object: { ...webSlice, metadata: { ...webSlice.metadata, resourceVersion: rv, annotations } } });

  modified("2");
  await until(() => p.syncs === 2);
  assert.equal(await count(), 0, "a slice without the annotation");
  modified("3", { [LAST_CHANGE_TRIGGER_TIME]: beforeStart });
  await until(() => p.syncs === 3);
  assert.equal(await count(), 0, "a change from before the proxy started");
  modified("4", { [LAST_CHANGE_TRIGGER_TIME]: "not a time" });
  await until(() => p.syncs === 4);
  assert.equal(await count(), 0, "an annotation that is no time");

  // A stamped change, then the slice's deletion before the round: the deletion's annotation is no change's time.
  modified("5", { [LAST_CHANGE_TRIGGER_TIME]: new Date().toISOString() });
  emit("endpointslices", { type: "DELETED", object: { ...webSlice, metadata: { ...webSlice.metadata, resourceVersion: "6", annotations: { [LAST_CHANGE_TRIGGER_TIME]: new Date().toISOString() } } } });
  await until(() => p.syncs === 5);
  assert.equal(await count(), 0);
  ac.abort();
});
