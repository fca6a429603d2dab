import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Transformer } from "./transformer.js";

const BLOCK = 16;

/**
 * The aescbc provider, as upstream: a random 16-byte IV, then AES-CBC of the
 * plaintext with PKCS#7 padding. No authentication (upstream's own caveat:
 * aesgcm or KMS are preferred where that matters); the key length picks
 * AES-128, -192 or -256.
 */
export function aesCbcTransformer(keyName: string, key: Buffer, random: (n: number) => Buffer = randomBytes): Transformer {
  const algorithm = cipherFor(key);
  return {
    prefix: `k8s:enc:aescbc:v1:${keyName}:`,
    toStorage(plaintext) {
      const iv = random(BLOCK);
      const cipher = createCipheriv(algorithm, key, iv);
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
    },
    fromStorage(stored) {
      if (stored.length < 2 * BLOCK || stored.length % BLOCK !== 0) throw new Error("the stored data is not a multiple of the block size");
      const decipher = createDecipheriv(algorithm, key, stored.subarray(0, BLOCK));
      return Buffer.concat([decipher.update(stored.subarray(BLOCK)), decipher.final()]);
    },
  };
}

function cipherFor(key: Buffer): string {
  if (key.length === 16) return "aes-128-cbc";
  if (key.length === 24) return "aes-192-cbc";
  if (key.length === 32) return "aes-256-cbc";
  throw new Error(`aescbc: invalid key size ${key.length}: must be 16, 24 or 32 bytes`);
}
