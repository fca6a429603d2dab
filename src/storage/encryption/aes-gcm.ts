import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from "node:crypto";
import type { Transformer } from "./transformer.js";

const NONCE = 12;
const TAG = 16;

/**
 * The aesgcm provider, as upstream: a random 12-byte nonce, then the GCM
 * ciphertext and its 16-byte tag, with the storage key as authenticated data
 * (so a value copied under another key does not decrypt). Upstream asks for
 * rotation every 200k writes because of the random nonce; so do we.
 */
export function aesGcmTransformer(keyName: string, key: Buffer, random: (n: number) => Buffer = randomBytes): Transformer {
  const algorithm = cipherFor(key);
  return {
    prefix: `k8s:enc:aesgcm:v1:${keyName}:`,
    toStorage(plaintext, context) {
      const nonce = random(NONCE);
      const cipher = createCipheriv(algorithm, key, nonce);
      cipher.setAAD(Buffer.from(context));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
    },
    fromStorage(stored, context) {
      if (stored.length < NONCE + TAG) throw new Error("the stored data was shorter than the required size");
      const decipher = createDecipheriv(algorithm, key, stored.subarray(0, NONCE));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(stored.subarray(stored.length - TAG));
      return Buffer.concat([decipher.update(stored.subarray(NONCE, stored.length - TAG)), decipher.final()]);
    },
  };
}

function cipherFor(key: Buffer): CipherGCMTypes {
  if (key.length === 16) return "aes-128-gcm";
  if (key.length === 24) return "aes-192-gcm";
  if (key.length === 32) return "aes-256-gcm";
  throw new Error(`aesgcm: invalid key size ${key.length}: must be 16, 24 or 32 bytes`);
}
