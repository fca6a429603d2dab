/**
 * The tokens controller (upstream's serviceaccount-token): a Secret of type
 * kubernetes.io/service-account-token that names a ServiceAccount gets a
 * legacy token for it, the cluster CA and the namespace, and is deleted when
 * that ServiceAccount is gone (or was recreated with another uid). This is
 * how a manually made long-lived token works; pods get bound tokens instead.
 */
import type { Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { isApiError } from "../../api/errors.js";
import { legacyClaims, signServiceAccountToken, type ServiceAccountKey } from "../../pki/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, runQueue, splitKey } from "../controller.js";

export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";
export const SERVICE_ACCOUNT_UID_ANNOTATION = "kubernetes.io/service-account.uid";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * The Secret with what it lacks filled in (token, ca.crt, namespace, the
 * account's uid annotation), or undefined when nothing is missing. An
 * existing token is kept: clients may hold it.
 */
export async function populatedTokenSecret<S extends Secret>(secret: S, sa: ServiceAccount, key: ServiceAccountKey, caPem: string | undefined): Promise<S | undefined> {
  const data = secret.data ?? {};
  const ns = secret.metadata?.namespace ?? "";
  const needsToken = !data.token;
  const needsCa = caPem !== undefined && data["ca.crt"] !== b64(caPem);
  const needsNamespace = data.namespace !== b64(ns);
  const needsUid = secret.metadata?.annotations?.[SERVICE_ACCOUNT_UID_ANNOTATION] !== sa.metadata?.uid;
  if (!needsToken && !needsCa && !needsNamespace && !needsUid) return undefined;
  const out = structuredClone(secret);
  out.data = { ...data, namespace: b64(ns) };
  if (caPem !== undefined) out.data["ca.crt"] = b64(caPem);
  if (needsToken) out.data.token = b64(await signServiceAccountToken(key, legacyClaims(sa, secret)));
  out.metadata = { ...out.metadata, annotations: { ...out.metadata?.annotations, [SERVICE_ACCOUNT_UID_ANNOTATION]: sa.metadata?.uid ?? "" } };
  return out;
}

export class TokensController implements Controller {
  readonly name = "serviceaccount-token";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private secrets!: Informer<Kube<Secret>>;
  private accounts!: Informer<Kube<ServiceAccount>>;

  /** caPem: the CA written into each token Secret as ca.crt (upstream's --root-ca-file). */
  constructor(private readonly key: ServiceAccountKey, private readonly caPem?: string) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.secrets = ctx.informers.informer<Kube<Secret>>(Resources.secrets);
    this.accounts = ctx.informers.informer<Kube<ServiceAccount>>(Resources.serviceaccounts);
    const onSecret = (s: Kube<Secret>) => { if (s.type === SERVICE_ACCOUNT_TOKEN_TYPE) this.queue.add(keyOf(s)); };
    this.secrets.addEventHandler({ add: onSecret, update: (_o, s) => onSecret(s) });
    // An account deleted or recreated takes its token Secrets with it.
    const onAccount = (sa: Kube<ServiceAccount>) => {
      for (const s of this.secrets.list(sa.metadata.namespace)) {
        if (s.type === SERVICE_ACCOUNT_TOKEN_TYPE && s.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === sa.metadata.name) this.queue.add(keyOf(s));
      }
    };
    this.accounts.addEventHandler({ add: onAccount, update: (_o, sa) => onAccount(sa), delete: onAccount });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "serviceaccount-token");
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const secret = this.secrets.get(key);
    if (!secret || secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE || secret.metadata.deletionTimestamp) return;
    const saName = secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
    if (!saName) return;
    const sa = await this.account(ns!, saName);
    const wantUid = secret.metadata.annotations?.[SERVICE_ACCOUNT_UID_ANNOTATION];
    if (!sa || (wantUid && wantUid !== sa.metadata?.uid)) {
      // Only this very Secret: one recreated under the same name meanwhile is synced on its own.
      await this.ctx.client.delete(Resources.secrets, ns, name, { preconditions: { uid: secret.metadata.uid } }).catch((err) => {
        if (!isApiError(err, "NotFound") && !isApiError(err, "Conflict")) throw err;
      });
      return;
    }
    const updated = await populatedTokenSecret(secret, sa, this.key, this.caPem);
    if (updated) await this.ctx.client.update(Resources.secrets, ns, updated);
  }

  /** From the cache, else a live read: a Secret applied together with its account may arrive first. */
  private async account(ns: string, name: string): Promise<ServiceAccount | undefined> {
    const cached = this.accounts.get(`${ns}/${name}`);
    if (cached) return cached;
    try {
      return await this.ctx.client.get<Kube<ServiceAccount>>(Resources.serviceaccounts, ns, name);
    } catch (err) {
      if (isApiError(err, "NotFound")) return undefined;
      throw err;
    }
  }
}
