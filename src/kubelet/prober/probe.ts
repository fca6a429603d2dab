/** One probe, run once: exec in the container, an HTTP GET, a TCP connect or a gRPC health check, against the pod's address. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { Container, Probe } from "kubernetes-types/core/v1.js";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import { grpcHealthCheck } from "./grpc-health.js";

export interface ProbeResult { ok: boolean; output: string }

/** What runProbe runs: a probe's handler and timeout (a lifecycle hook's exec, httpGet and tcpSocket are the same handlers). */
export type ProbeHandler = Pick<Probe, "exec" | "httpGet" | "tcpSocket" | "grpc" | "timeoutSeconds">;

export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = (container.ports ?? []).find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" not found in container`);
  return named.containerPort;
}

export async function runProbe(probe: ProbeHandler, ctx: { runtime: ContainerRuntime; containerId: string; container: Container; podIP: string }): Promise<ProbeResult> {
  const timeoutS = probe.timeoutSeconds ?? 1;
  if (probe.exec) {
    try {
      const r = await ctx.runtime.execSync(ctx.containerId, probe.exec.command ?? [], timeoutS);
      const output = (r.stdout.toString() + r.stderr.toString()).trim();
      return r.exitCode === 0 ? { ok: true, output } : { ok: false, output: output || `command ${JSON.stringify((probe.exec.command ?? []).join(" "))} exited with ${r.exitCode}` };
    } catch (err) {
      const msg = String((err as Error).message);
      if (/timeout|deadline/i.test(msg)) return { ok: false, output: `command ${JSON.stringify((probe.exec.command ?? []).join(" "))} timed out` };
      return { ok: false, output: msg };
    }
  }
  if (probe.httpGet) {
    const g = probe.httpGet;
    const host = g.host || ctx.podIP;
    const port = resolvePort(g.port, ctx.container);
    const scheme = (g.scheme ?? "HTTP").toLowerCase();
    const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${g.path ?? "/"}`;
    return new Promise((resolve) => {
      const headers: Record<string, string> = { "User-Agent": "kube-probe/1.32", Accept: "*/*" };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      const req = (scheme === "https" ? httpsRequest : httpRequest)(url, { method: "GET", headers, timeout: timeoutS * 1000, rejectUnauthorized: false }, (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        if (code >= 200 && code < 400) resolve({ ok: true, output: "" });
        else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on("timeout", () => { req.destroy(); resolve({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }); });
      req.on("error", (err) => resolve({ ok: false, output: `Get "${url}": ${err.message}` }));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const host = probe.tcpSocket.host || ctx.podIP;
    const port = resolvePort(probe.tcpSocket.port, ctx.container);
    return new Promise((resolve) => {
      const sock = connect({ host, port, timeout: timeoutS * 1000 });
      sock.once("connect", () => { sock.destroy(); resolve({ ok: true, output: "" }); });
      sock.once("timeout", () => { sock.destroy(); resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }); });
      sock.once("error", (err) => resolve({ ok: false, output: `dial tcp ${host}:${port}: ${err.message}` }));
    });
  }
  if (probe.grpc) return grpcHealthCheck(ctx.podIP, Number(probe.grpc.port), probe.grpc.service ?? "", timeoutS * 1000);
  return { ok: false, output: "probe has no handler" };
}
