import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aesCbcTransformer } from "./aes-cbc.js";
import { aesGcmTransformer } from "./aes-gcm.js";
import { identityTransformer } from "./transformer.js";

// Known answers computed apart from this code:
//   printf '<plaintext>' | openssl enc -aes-256-cbc -K <key> -iv <iv> | xxd -p
//   python3 cryptography: AESGCM(key).encrypt(nonce, plaintext, b"/registry/secrets/default/s")
const key32 = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const key16 = key32.subarray(0, 16);
const iv = Buffer.from("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "hex");
const nonce = Buffer.from("b0b1b2b3b4b5b6b7b8b9babb", "hex");
const secretJson = '{"kind":"Secret","data":{"p":"aHVudGVyMg=="}}';
const context = "/registry/secrets/default/s";
const fixed = (bytes: Buffer) => (n: number) => { assert.equal(n, bytes.length); return Buffer.from(bytes); };

const vectors = [
  { name: "aescbc, AES-256, three blocks", make: () => aesCbcTransformer("key1", key32, fixed(iv)), salt: iv, plaintext: secretJson,
    sealed: "da54e881eafae68f34aa2ddb00e56b52b80eddfdfa7ca4628e0c46d665448e7f632623a74ab81551a0e0df266318acfd" },
  { name: "aescbc, AES-256, padded to one block", make: () => aesCbcTransformer("key1", key32, fixed(iv)), salt: iv, plaintext: "short",
    sealed: "78f74fe8b56be055eac905cb95e0338f" },
  { name: "aesgcm, AES-256", make: () => aesGcmTransformer("key1", key32, fixed(nonce)), salt: nonce, plaintext: secretJson,
    sealed: "e27731c282a9996565abf2c1bf38fce0a81e2db3614fad0f25ecf2d366a0935e533e477d35a7ebdf9866823741e67e484dfd3dd7760fb5c4135320953f" },
  { name: "aesgcm, AES-128", make: () => aesGcmTransformer("key1", key16, fixed(nonce)), salt: nonce, plaintext: "short",
    sealed: "2da1dfefb36a1cbec0165e31746b8b8471dbbb6cda" },
];

describe("encryption transformers", () => {
  for (const v of vectors) {
    it(`${v.name}: writes the known answer and reads it back`, () => {
      const t = v.make();
      const stored = Buffer.concat([v.salt, Buffer.from(v.sealed, "hex")]);
      assert.equal(t.toStorage(Buffer.from(v.plaintext), context).toString("hex"), stored.toString("hex"));
      assert.equal(t.fromStorage(stored, context).toString(), v.plaintext);
    });
  }

  it("names its prefix as upstream", () => {
    assert.equal(aesCbcTransformer("k", key32).prefix, "k8s:enc:aescbc:v1:k:");
    assert.equal(aesGcmTransformer("k", key32).prefix, "k8s:enc:aesgcm:v1:k:");
    assert.equal(identityTransformer.prefix, "");
  });

  it("uses a fresh IV or nonce for every write", () => {
    for (const t of [aesCbcTransformer("k", key32), aesGcmTransformer("k", key32)]) {
      const a = t.toStorage(Buffer.from("same"), context);
      assert.notDeepEqual(a, t.toStorage(Buffer.from("same"), context));
      assert.equal(t.fromStorage(a, context).toString(), "same");
    }
  });

  it("aesgcm refuses a value moved under another key (the key is authenticated data)", () => {
    const t = aesGcmTransformer("k", key32);
    const sealed = t.toStorage(Buffer.from(secretJson), context);
    assert.throws(() => t.fromStorage(sealed, "/registry/secrets/default/other"));
  });

  it("fails on a wrong key, a truncated value and bad lengths", () => {
    const sealed = aesCbcTransformer("k", key32).toStorage(Buffer.from(secretJson), context);
    // CBC authenticates nothing: a wrong key fails the padding check, or (about one time in 256, the IV
    // being random) passes it and reads garbage; it never reads the secret.
    const readWithWrongKey = (value: Buffer) => { try { return aesCbcTransformer("k", Buffer.alloc(32, 7)).fromStorage(value, context).toString(); } catch { return undefined; } };
    for (let i = 0; i < 20; i++) assert.notEqual(readWithWrongKey(aesCbcTransformer("k", key32).toStorage(Buffer.from(secretJson), context)), secretJson);
    assert.throws(() => aesCbcTransformer("k", key32).fromStorage(sealed.subarray(0, 20), context), /block size/);
    assert.throws(() => aesGcmTransformer("k", key32).fromStorage(Buffer.alloc(10), context), /shorter/);
    assert.throws(() => aesCbcTransformer("k", Buffer.alloc(20)), /invalid key size 20/);
  });

  it("identity passes plaintext and refuses encrypted data", () => {
    assert.equal(identityTransformer.fromStorage(Buffer.from("{}"), context).toString(), "{}");
    assert.throws(() => identityTransformer.fromStorage(Buffer.from("k8s:enc:aescbc:v1:k:xxxx"), context), /tried to read encrypted data/);
  });
});
