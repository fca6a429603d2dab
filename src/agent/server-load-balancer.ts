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
 *
 * With a health check (as `skiff cluster` runs one in front of its servers,
 * the way kind runs haproxy), a server that fails it is taken out: it is
 * dialled only when no healthy server is left, and the connections through
 * it are cut so that their clients dial a healthy one; it is put back once
 * it passes again.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Endpoints } from "kubernetes-types/core/v1.js";

export interface ServerLoadBalancerOptions {
  /** host:port of the server the agent joined through: always kept as a last resort, as k3s keeps its default server. */
  defaultServer: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** How long one dial may take before the next server is tried (default 5 s). */
  dialTimeoutMs?: number;
  /** Where to listen (default 127.0.0.1, a free port). */
  listen?: { host?: string; port?: number };
  /** Whether a server (host:port) is healthy, asked of each known server every healthIntervalMs (default 2 s). */
  healthCheck?: (server: string) => Promise<boolean>;
  healthIntervalMs?: number;
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

/** host and port of "host:port" or "[v6]:port". */
export function splitHostPort(target: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

export class ServerLoadBalancer {
  private servers: string[];
  /** The server the last dial reached: new connections try it first. */
  private current: string;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** The upstream connections open to each server, to cut when it turns unhealthy. */
  private readonly upstreams = new Map<string, Set<Socket>>();
  private readonly unhealthy = new Set<string>();
  private healthTimer?: NodeJS.Timeout;

  constructor(private readonly options: ServerLoadBalancerOptions) {
    this.servers = [options.defaultServer];
    this.current = options.defaultServer;
  }

  /** Listens on a free loopback port; resolves with the URL the node's clients use. */
  async start(): Promise<string> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    const host = this.options.listen?.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.listen?.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as { port: number };
    if (this.options.healthCheck) {
      await this.checkHealth();
      this.healthTimer = setInterval(() => void this.checkHealth(), this.options.healthIntervalMs ?? 2_000);
      this.healthTimer.unref();
    }
    return `https://${host}:${port}`;
  }

  /** Asks the health check of every known server; takes out those that fail and puts back those that pass. */
  async checkHealth(): Promise<void> {
    const check = this.options.healthCheck;
    if (!check) return;
    await Promise.all(this.servers.map(async (target) => {
      const healthy = await check(target).catch(() => false);
      if (healthy && this.unhealthy.delete(target)) this.options.log?.("api server healthy again", { server: target });
      if (healthy || this.unhealthy.has(target)) return;
      this.unhealthy.add(target);
      this.options.log?.("api server unhealthy: taken out", { server: target });
      for (const s of this.upstreams.get(target) ?? []) s.destroy();
    }));
  }

  /** The servers to dial, in order; the default server is added last when the list lacks it. */
  setServers(servers: string[]): void {
    const next = [...new Set(servers)];
    if (!next.includes(this.options.defaultServer)) next.push(this.options.defaultServer);
    if (next.join() === this.servers.join()) return;
    this.options.log?.("api servers", { servers: next });
    this.servers = next;
  }

  /** The known servers, the one in use first; those that failed the health check last. */
  list(): string[] {
    const ordered = [this.current, ...this.servers.filter((s) => s !== this.current)];
    return [...ordered.filter((s) => !this.unhealthy.has(s)), ...ordered.filter((s) => this.unhealthy.has(s))];
  }

  /** The known servers that passed their last health check (all of them without a health check). */
  healthy(): string[] {
    return this.servers.filter((s) => !this.unhealthy.has(s));
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
    clearInterval(this.healthTimer);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    void this.dial(this.list()).then((dialled) => {
      if (!dialled) { client.destroy(); return; }
      const { socket: upstream, target } = dialled;
      if (client.destroyed) { upstream.destroy(); return; }
      this.sockets.add(upstream);
      const open = this.upstreams.get(target) ?? new Set<Socket>();
      this.upstreams.set(target, open.add(upstream));
      upstream.once("close", () => { this.sockets.delete(upstream); open.delete(upstream); client.destroy(); });
      upstream.on("error", () => upstream.destroy());
      client.once("close", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /** Dials the candidates in order; the first that answers becomes current. Undefined when none does. */
  private async dial(candidates: string[]): Promise<{ socket: Socket; target: string } | undefined> {
    for (const target of candidates) {
      const socket = await this.dialOne(target);
      if (socket) {
        if (target !== this.current) this.options.log?.("api server changed", { from: this.current, to: target });
        this.current = target;
        return { socket, target };
      }
    }
    this.options.log?.("no api server answered", { servers: candidates });
    return undefined;
  }

  private dialOne(target: string): Promise<Socket | undefined> {
    const to = splitHostPort(target);
    if (!to) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const socket = connect(to);
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
