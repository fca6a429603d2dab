import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { EncryptionConfiguration } from "./encryption-config.js";

/** The name k3s gives the key it makes for --secrets-encryption. */
export const DEFAULT_KEY_NAME = "aescbckey";

/**
 * k3s's --secrets-encryption: on first start, an EncryptionConfiguration that
 * encrypts secrets with a fresh 32-byte aescbc key (identity after it, so
 * secrets written before encryption was turned on stay readable), kept 0600
 * beside the cluster's other keys. Later starts use the file as it is, so keys
 * added or rotated in it stay.
 */
export function ensureSecretsEncryptionConfig(file: string): string {
  if (existsSync(file)) return file;
  const config: EncryptionConfiguration = {
    kind: "EncryptionConfiguration",
    apiVersion: "apiserver.config.k8s.io/v1",
    resources: [{
      resources: ["secrets"],
      providers: [{ aescbc: { keys: [{ name: DEFAULT_KEY_NAME, secret: randomBytes(32).toString("base64") }] } }, { identity: {} }],
    }],
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // "wx": two servers starting on one data directory must not each write a key.
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  return file;
}
