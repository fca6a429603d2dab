/**
 * Each controller acts as its own service account (kube-system/<name>), as
 * upstream's controller manager with --use-service-account-credentials: the
 * manager's own identity (system:kube-controller-manager) only reads through
 * the shared informers, creates the accounts and requests their tokens; every
 * write a controller makes carries the account that upstream's
 * system:controller:<name> role was written for.
 */
import { Client } from "../client/index.js";
import { isApiError } from "../api/errors.js";

const NAMESPACE = "kube-system";
const TOKEN_SECONDS = 3600;

export type Log = (msg: string, fields?: Record<string, unknown>) => void;

export class ServiceAccountCredentials {
  private readonly clients = new Map<string, Promise<Client>>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly root: Client, private readonly log: Log = () => undefined) {}

  /** A client that acts as the service account, its token refreshed at 80% of its lifetime. */
  clientFor(name: string): Promise<Client> {
    let c = this.clients.get(name);
    if (!c) {
      c = this.build(name);
      this.clients.set(name, c);
      c.catch(() => this.clients.delete(name));
    }
    return c;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  private async build(name: string): Promise<Client> {
    await this.ensureAccount(name);
    const first = await this.token(name);
    const config = { ...this.root.config, cert: undefined, key: undefined, token: first.token };
    const client = new Client(config);
    const refresh = (ttlMs: number) => {
      const t = setTimeout(() => {
        void this.token(name).then((next) => {
          config.token = next.token;
          refresh(next.ttlMs);
        }, (err) => {
          this.log("service account token refresh failed; retrying", { serviceAccount: `${NAMESPACE}/${name}`, err: String(err) });
          refresh(Math.max(10_000, ttlMs / 10));
        });
      }, ttlMs * 0.8);
      t.unref();
      this.timers.push(t);
    };
    refresh(first.ttlMs);
    return client;
  }

  private async ensureAccount(name: string): Promise<void> {
    try {
      await this.root.request("POST", `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NAMESPACE } });
    } catch (err) {
      if (!isApiError(err, "AlreadyExists")) throw new Error(`create service account ${NAMESPACE}/${name}`, { cause: err });
    }
  }

  private async token(name: string): Promise<{ token: string; ttlMs: number }> {
    const review = await this.root.request<{ status?: { token?: string; expirationTimestamp?: string } }>("POST",
      `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${name}/token`,
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: TOKEN_SECONDS } });
    const token = review.status?.token;
    if (!token) throw new Error(`token request for ${NAMESPACE}/${name} returned no token`);
    const expiry = Date.parse(review.status?.expirationTimestamp ?? "");
    return { token, ttlMs: Number.isFinite(expiry) ? Math.max(60_000, expiry - Date.now()) : TOKEN_SECONDS * 1000 };
  }
}
