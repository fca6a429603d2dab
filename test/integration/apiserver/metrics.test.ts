/**
 * The API server's /metrics as a scraper reads it, over HTTPS with the
 * admin's certificate: watches are long-running while open and counted when
 * they close, watch events are counted by kind.
 */
import assert from "node:assert/strict";
import { request } from "node:https";
import { describe, it } from "node:test";
import { eventually } from "../../helpers/kubectl.js";
import { startControlPlane, type ControlPlane } from "../../helpers/control-plane.js";

const configmaps = { group: "", version: "v1", resource: "configmaps", namespaced: true };

function scrape(cp: ControlPlane): Promise<string> {
  const cfg = cp.client.config;
  return new Promise((resolve, reject) => {
    const req = request(new URL("/metrics", cfg.server), { ca: cfg.ca, cert: cfg.cert, key: cfg.key }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The value of one series, by its exact name and labels as written. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("API server metrics", () => {
  it("tracks an open watch as long-running, counts its events, and counts it when it closes", async () => {
    await using cp = await startControlPlane();
    const watching = 'apiserver_longrunning_requests{verb="WATCH",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver"}';
    const events = 'apiserver_watch_events_total{group="",version="v1",kind="ConfigMap"}';
    const closed = 'apiserver_request_total{verb="WATCH",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"}';
    const abort = new AbortController();
    const seen: string[] = [];
    const list = await cp.client.list(configmaps, "default");
    const watch = cp.client.watch(configmaps, "default", { resourceVersion: list.metadata?.resourceVersion }, (e) => seen.push(e.type), abort.signal);
    await eventually(async () => sample(await scrape(cp), watching) === 1, 10_000, 100);
    await cp.client.create(configmaps, "default", { metadata: { name: "w1" } });
    await eventually(() => seen.includes("ADDED"), 10_000, 100);
    const text = await scrape(cp);
    assert.ok((sample(text, events) ?? 0) >= 1, `watch events: ${sample(text, events)}`);
    assert.equal(sample(text, closed), undefined, "an open watch is not yet counted as a request");
    abort.abort();
    await watch;
    await eventually(async () => {
      const t = await scrape(cp);
      return sample(t, watching) === 0 && sample(t, closed) === 1;
    }, 10_000, 100);
  });
});
