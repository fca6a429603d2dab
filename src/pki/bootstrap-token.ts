/**
 * Bootstrap tokens, as kubeadm's (k8s.io/cluster-bootstrap): `<id>.<secret>`,
 * a 6-character public id and a 16-character secret of [a-z0-9], kept in a
 * kube-system Secret `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token.
 * A joining node authenticates with one as `system:bootstrap:<id>` and can do
 * little more than ask for its client certificate.
 */
import { randomInt } from "node:crypto";
import type { Secret } from "kubernetes-types/core/v1.js";

export const BOOTSTRAP_TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = "bootstrap-token-";
export const BOOTSTRAP_USER_PREFIX = "system:bootstrap:";
export const BOOTSTRAP_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** n characters of [a-z0-9] from the system's CSPRNG (randomInt draws without modulo bias). */
export function randomTokenChars(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export interface BootstrapToken { id: string; secret: string }

export function generateBootstrapToken(): BootstrapToken {
  return { id: randomTokenChars(6), secret: randomTokenChars(16) };
}

export function parseBootstrapToken(token: string): BootstrapToken | undefined {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export interface BootstrapTokenOptions {
  description?: string;
  /** Lifetime in milliseconds; none: the token never expires. */
  ttlMs?: number;
  usages?: ("authentication" | "signing")[];
  extraGroups?: string[];
  now?: Date;
}

/** The Secret that holds a bootstrap token, as `kubeadm token create` writes it (stringData is plain text). */
export function bootstrapTokenSecret(token: BootstrapToken, opts: BootstrapTokenOptions = {}): Secret {
  const data: Record<string, string> = { "token-id": token.id, "token-secret": token.secret };
  if (opts.description) data.description = opts.description;
  if (opts.ttlMs) data.expiration = new Date((opts.now ?? new Date()).getTime() + opts.ttlMs).toISOString().replace(/\.\d+Z$/, "Z");
  for (const u of opts.usages ?? ["authentication", "signing"]) data[`usage-bootstrap-${u}`] = "true";
  if (opts.extraGroups?.length) data["auth-extra-groups"] = opts.extraGroups.join(",");
  return {
    apiVersion: "v1", kind: "Secret", type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    metadata: { name: BOOTSTRAP_TOKEN_SECRET_PREFIX + token.id, namespace: "kube-system" },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

/** A Secret's data member as text ("" when absent). */
export function secretValue(secret: Secret, key: string): string {
  const v = secret.data?.[key];
  if (v !== undefined) return Buffer.from(v, "base64").toString("utf8");
  return (secret as Secret & { stringData?: Record<string, string> }).stringData?.[key] ?? "";
}

/** The token's expiration, if its Secret has one; an unreadable one counts as already expired, as upstream. */
export function bootstrapTokenExpiration(secret: Secret): Date | undefined {
  const raw = secretValue(secret, "expiration");
  if (!raw) return undefined;
  const t = Date.parse(raw);
  return Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT/.test(raw) ? new Date(0) : new Date(t);
}
