/**
 * The load balancer `skiff cluster` runs on loopback in front of a cluster's
 * servers, as kind runs haproxy for several control-plane nodes: the agent's
 * TCP balancer (TLS passes through; every server's certificate names
 * 127.0.0.1) over each server's API port, with a health check every 2 s, an
 * HTTPS GET of /readyz verified against the cluster CA (upstream grants it to
 * anyone through system:public-info-viewer). A server that refuses
 * connections or is not ready is taken out until it answers ready again.
 * It runs detached (`skiff cluster load-balancer DIR`) until SIGTERM.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { ServerLoadBalancer, splitHostPort } from "../agent/index.js";
import { API_PORT, type ClusterState } from "./topology.js";

/** Whether the API server at host:port answers /readyz with 200 within timeoutMs. */
export function apiServerReady(target: string, ca: string, timeoutMs = 2_000): Promise<boolean> {
  const to = splitHostPort(target);
  if (!to) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...to, path: "/readyz", ca, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("timeout", () => req.destroy(new Error("timed out")));
    req.once("error", () => resolve(false));
    req.end();
  });
}

/** Serves the cluster's load balancer on 127.0.0.1:state.loadBalancer.port; resolves with a function that stops it. */
export async function runLoadBalancer(state: ClusterState, log: (msg: string, fields?: Record<string, unknown>) => void): Promise<() => Promise<void>> {
  if (!state.loadBalancer) throw new Error(`cluster ${JSON.stringify(state.name)} has no load balancer (it has one server)`);
  const servers = state.nodes.filter((n) => n.role === "server");
  const ca = readFileSync(join(servers[0]!.dataDir, "tls", "ca.crt"), "utf8");
  const targets = servers.map((n) => `${n.ip}:${API_PORT}`);
  const lb = new ServerLoadBalancer({
    defaultServer: targets[0]!, log, listen: { host: "127.0.0.1", port: state.loadBalancer.port },
    healthCheck: (target) => apiServerReady(target, ca),
  });
  lb.setServers(targets);
  const url = await lb.start();
  log("load balancer serving", { url, servers: targets, healthy: lb.healthy() });
  return () => lb.stop();
}
