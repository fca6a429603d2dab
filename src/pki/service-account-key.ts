/**
 * The service-account signing key: the one key that signs every
 * service-account JWT (TokenRequest, projected volumes, legacy Secrets) and
 * verifies them. It lives in the data directory beside the CA
 * (tls/service-account.key, 0600), made on first start and reused after, so
 * tokens survive restarts. RSA 2048 with RS256, as kubeadm's sa.key: the
 * algorithm every OIDC relying party accepts.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, type JWK } from "jose";

export const SERVICE_ACCOUNT_KEY_FILE = "service-account.key";

export interface ServiceAccountKey {
  /** "RS256": the JWS algorithm of every token this key signs. */
  readonly algorithm: "RS256";
  /** Upstream's kid: base64url (unpadded) SHA-256 of the public key's SubjectPublicKeyInfo DER. */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as a JWK with kid, use and alg, as /openid/v1/jwks serves it. */
  publicJwk(): Promise<JWK>;
}

/**
 * Upstream's keyIDFromPublicKey: the key id is a hash of the public key, so
 * every API server with the same key names it the same, and a relying party
 * can pick the key from a token's header.
 */
export function keyIdFromPublicKey(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64url");
}

/** A signing key from its PEM (PKCS#1 or PKCS#8, RSA). */
export function serviceAccountKeyFromPem(pem: string): ServiceAccountKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error(`service-account key: want an RSA key, got ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdFromPublicKey(publicKey);
  return {
    algorithm: "RS256", keyId, privateKey, publicKey,
    publicJwk: async () => {
      const { kty, n, e } = await exportJWK(publicKey);
      // Members in the order upstream's go-jose writes them.
      return { use: "sig", kty, kid: keyId, alg: "RS256", n, e };
    },
  };
}

/** Loads DIR/service-account.key, creating it (0600) when missing. */
export function ensureServiceAccountKey(dir: string): ServiceAccountKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, SERVICE_ACCOUNT_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    // PKCS#1 ("RSA PRIVATE KEY"), the form kubeadm writes sa.key in.
    writeFileSync(file, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  }
  return serviceAccountKeyFromPem(readFileSync(file, "utf8"));
}
