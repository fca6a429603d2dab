/**
 * The agent's load balancer for the API servers, as k3s' agent runs one: a
 * TCP proxy on loopback that the node's clients (kubelet, proxy, DNS) talk
 * to, which dials one of the servers it knows and moves on to the next when
 * a dial fails. The list starts with `--server` and follows the
 * `kubernetes` Endpoints (every live server, kept by the servers' lease
 * reconciler), so a node keeps its API connection when the server it joined
 * through dies.
 *
 * TLS passes through untouched: the clients verify the server against the
 * cluster CA, and every server's serving certificate names 127.0.0.1, so
 * one URL (https://127.0.0.1:PORT) is valid whichever server answers.
 * A connection that is cut when its server dies is dialled anew by its
 * client, and then reaches a live one.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Endpoints } from "kubernetes-types/core/v1.js";

export interface ServerLoadBalancerOptions {
  /** host:port of the server the agent joined through: always kept as a last resort, as k3s keeps its default server. */
  defaultServer: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** How long one dial may take before the next server is tried (default 5 s). */
  dialTimeoutMs?: number;
}

/** host:port for each address of the `kubernetes` Endpoints, on its https port. */
export function serversFromEndpoints(endpoints: Endpoints): string[] {
  const out: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => p.name === "https")?.port ?? subset.ports?.[0]?.port;
    if (!port) continue;
    for (const a of subset.addresses ?? []) out.push(a.ip.includes(":") ? `[${a.ip}]:${port}` : `${a.ip}:${port}`);
  }
  return out;
}

export class ServerLoadBalancer {
  private servers: string[];
  /** The server the last dial reached: new connections try it first. */
  private current: string;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ServerLoadBalancerOptions) {
    this.servers = [options.defaultServer];
    this.current = options.defaultServer;
  }

  /** Listens on a free loopback port; resolves with the URL the node's clients use. */
  async start(): Promise<string> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as { port: number };
    return `https://127.0.0.1:${port}`;
  }

  /** The servers to dial, in order; the default server is added last when the list lacks it. */
  setServers(servers: string[]): void {
    const next = [...new Set(servers)];
    if (!next.includes(this.options.defaultServer)) next.push(this.options.defaultServer);
    if (next.join() === this.servers.join()) return;
    this.options.log?.("api servers", { servers: next });
    this.servers = next;
  }

  /** The known servers, the one in use first. */
  list(): string[] {
    return [this.current, ...this.servers.filter((s) => s !== this.current)];
  }

  /**
   * Follows the `kubernetes` Endpoints through get, now and every intervalMs until signal aborts
   * (k3s' agent refreshes its list the same way). A failed read keeps the list it has.
   */
  followEndpoints(get: () => Promise<Endpoints | undefined>, signal: AbortSignal, intervalMs = 15_000): void {
    const refresh = async () => {
      try {
        const endpoints = await get();
        const servers = endpoints ? serversFromEndpoints(endpoints) : [];
        if (servers.length) this.setServers(servers);
      } catch (err) {
        this.options.log?.("reading the kubernetes endpoints failed", { err: String((err as Error).message ?? err) });
      }
    };
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    timer.unref();
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    void this.dial(this.list()).then((upstream) => {
      if (!upstream) { client.destroy(); return; }
      if (client.destroyed) { upstream.destroy(); return; }
      this.sockets.add(upstream);
      upstream.once("close", () => { this.sockets.delete(upstream); client.destroy(); });
      upstream.on("error", () => upstream.destroy());
      client.once("close", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /** Dials the candidates in order; the first that answers becomes current. Undefined when none does. */
  private async dial(candidates: string[]): Promise<Socket | undefined> {
    for (const target of candidates) {
      const socket = await this.dialOne(target);
      if (socket) {
        if (target !== this.current) this.options.log?.("api server changed", { from: this.current, to: target });
        this.current = target;
        return socket;
      }
    }
    this.options.log?.("no api server answered", { servers: candidates });
    return undefined;
  }

  private dialOne(target: string): Promise<Socket | undefined> {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    if (!m) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const socket = connect({ host: m[1]!, port: Number(m[2]) });
      const fail = () => { socket.destroy(); resolve(undefined); };
      socket.setTimeout(this.options.dialTimeoutMs ?? 5_000, fail);
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.setTimeout(0);
        socket.removeListener("error", fail);
        resolve(socket);
      });
    });
  }
}
