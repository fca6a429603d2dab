/**
 * A Transformer turns a stored value's plaintext into the bytes kept in
 * storage and back, as upstream's value.Transformer. Values are binary strings
 * here (one character per byte, U+0000..U+00FF): the Store holds text, and a
 * byte string held that way round-trips exactly through both backends.
 */
export interface Transformer {
  /** What a value written by this transformer starts with, e.g. "k8s:enc:aescbc:v1:key1:"; "" for identity. */
  readonly prefix: string;
  /** Encrypts plaintext bytes; context is the storage key (authenticated data where the cipher has any). */
  toStorage(plaintext: Buffer, context: string): Buffer;
  /** Decrypts what follows the prefix; throws when the bytes are not this transformer's. */
  fromStorage(ciphertext: Buffer, context: string): Buffer;
}

/** What every encrypting provider's values start with; identity refuses to read them. */
export const ENCRYPTED_PREFIX = "k8s:enc:";

/** The identity provider: values are stored as they are, with no prefix. */
export const identityTransformer: Transformer = {
  prefix: "",
  toStorage: (plaintext) => plaintext,
  fromStorage: (stored) => {
    // As upstream: data that looks encrypted under a provider no longer configured is an error, not plaintext.
    if (stored.subarray(0, ENCRYPTED_PREFIX.length).toString("latin1") === ENCRYPTED_PREFIX) {
      throw new Error("identity transformer tried to read encrypted data");
    }
    return stored;
  },
};
