/**
 * /healthz, /livez and /readyz as upstream's API server serves them: a list
 * of named checks, each also at its own path (`/readyz/etcd`), `?verbose` to
 * list them, `?exclude=NAME` to leave one out, 200 `ok` when all pass and 500
 * with the failing ones when not. Readiness means ready: storage answers, the
 * post-start work is done, and the server is not shutting down, so load
 * balancers and joining agents wait for it.
 */
import type { Response } from "./http.js";

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects (or throws) with the reason otherwise. */
  check(): Promise<void> | void;
}

type Endpoint = "healthz" | "livez" | "readyz";

const CHECK_TIMEOUT_MS = 2000;

/** A check that fails until the work it stands for is done (the caches synced, say). */
export class Milestone implements HealthCheck {
  private done = false;
  constructor(readonly name: string) {}
  complete(): void { this.done = true; }
  check(): void { if (!this.done) throw new Error("not finished"); }
}

/** A post-start hook's check, named as upstream names them. */
export class PostStartHook extends Milestone {
  constructor(hook: string) { super(`poststarthook/${hook}`); }
}

export class HealthChecks {
  private shuttingDown = false;
  private readonly endpoints: Record<Endpoint, HealthCheck[]>;

  /** checks: for all three endpoints; readiness adds the shutdown check. */
  constructor(checks: HealthCheck[]) {
    const ping: HealthCheck = { name: "ping", check() {} };
    const log: HealthCheck = { name: "log", check() {} };
    const shutdown: HealthCheck = { name: "shutdown", check: () => { if (this.shuttingDown) throw new Error("server is shutting down"); } };
    const all = [ping, log, ...checks];
    this.endpoints = { healthz: all, livez: all, readyz: [...all, shutdown] };
  }

  /** From now on /readyz fails (upstream's shutdown check), while /livez still passes. */
  beginShutdown(): void { this.shuttingDown = true; }

  /** Whether path is one of ours. */
  handles(path: string): boolean {
    const top = path.split("/")[1];
    return top === "healthz" || top === "livez" || top === "readyz";
  }

  async serve(method: string, path: string, query: URLSearchParams, res: Response): Promise<void> {
    const [, top, ...rest] = path.split("/");
    const checks = this.endpoints[top as Endpoint];
    const headers = { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" };
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, headers);
      res.end("405: Method Not Allowed");
      return;
    }
    if (rest.length) {
      const one = checks.find((c) => c.name === rest.join("/"));
      if (!one) {
        res.writeHead(404, headers);
        res.end("404 page not found\n");
        return;
      }
      const failure = await run(one);
      res.writeHead(failure === undefined ? 200 : 500, headers);
      res.end(failure === undefined ? "ok" : `internal server error: ${failure}`);
      return;
    }
    const excluded = new Set(query.getAll("exclude").flatMap((e) => e.split(",")).filter(Boolean));
    const lines: string[] = [];
    let failed = false;
    const results = await Promise.all(checks.map(async (c) => {
      const skip = excluded.delete(c.name);
      return { c, skip, failure: skip ? undefined : await run(c) };
    }));
    for (const { c, skip, failure } of results) {
      if (skip) { lines.push(`[+]${c.name} excluded: ok`); continue; }
      if (failure === undefined) lines.push(`[+]${c.name} ok`);
      else { failed = true; lines.push(`[-]${c.name} failed: reason withheld`); }
    }
    if (excluded.size) lines.push(`warn: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => `"${e}"`).join(",")}`);
    if (failed) {
      res.writeHead(500, headers);
      res.end(`${lines.join("\n")}\n${top} check failed\n`);
      return;
    }
    res.writeHead(200, headers);
    res.end(query.has("verbose") ? `${lines.join("\n")}\n${top} check passed\n` : "ok");
  }
}

/** The reason a check fails, or undefined when it passes in time. */
async function run(check: HealthCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("timed out")), CHECK_TIMEOUT_MS); }),
    ]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
