/**
 * Deletes bootstrap tokens once they expire, as upstream's tokencleaner
 * (pkg/controller/bootstrap/tokencleaner.go): a kube-system Secret of type
 * bootstrap.kubernetes.io/token whose `expiration` has passed is deleted
 * (precondition: the same uid, so a token made again under the name lives);
 * one not yet expired is looked at again when it does.
 */
import type { Secret } from "kubernetes-types/core/v1.js";
import { WorkQueue, type Informer } from "../../client/index.js";
import { BOOTSTRAP_TOKEN_SECRET_TYPE, bootstrapTokenExpiration } from "../../pki/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, runQueue, splitKey } from "../controller.js";

const secrets = { group: "", version: "v1", resource: "secrets", namespaced: true };
const TOKEN_NAMESPACE = "kube-system";

export class TokenCleaner implements Controller {
  readonly name = "tokencleaner";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private secrets!: Informer<Kube<Secret>>;

  constructor(private readonly now: () => number = Date.now) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.secrets = ctx.informers.informer<Kube<Secret>>(secrets);
    const enqueue = (s: Kube<Secret>) => { if (s.metadata.namespace === TOKEN_NAMESPACE && s.type === BOOTSTRAP_TOKEN_SECRET_TYPE) this.queue.add(keyOf(s)); };
    this.secrets.addEventHandler({ add: enqueue, update: (_o, s) => enqueue(s) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "bootstrap token cleaning");
  }

  /** Deletes the token if expired; otherwise returns when to look again. */
  private async sync(key: string): Promise<number | void> {
    const [namespace, name] = splitKey(key);
    const secret = this.secrets.get(key);
    if (!secret || secret.metadata.deletionTimestamp) return;
    const expiration = bootstrapTokenExpiration(secret);
    if (!expiration) return;
    const left = expiration.getTime() - this.now();
    // Timers hold at most 2^31-1 ms: a token of a month is looked at again daily until its day comes.
    if (left > 0) return Math.min(left, 86_400_000);
    this.ctx.log("deleting expired bootstrap token", { secret: key });
    await this.ctx.client.delete(secrets, namespace, name, { preconditions: { uid: secret.metadata.uid } })
      .catch((err) => { const c = (err as { code?: number }).code; if (c !== 404 && c !== 409) throw err; });
  }
}
