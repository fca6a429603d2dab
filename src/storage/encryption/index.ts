/**
 * Encryption at rest, as upstream's --encryption-provider-config: an
 * EncryptionConfiguration resolved to rules, and a Store wrapper that applies
 * them on every read and write.
 */
import type { Store } from "../store.js";
import { EncryptedStore } from "./encrypted-store.js";
import { encryptionRules, loadEncryptionConfiguration, type StoredResource } from "./encryption-config.js";

export { EncryptedStore } from "./encrypted-store.js";
export {
  encryptionRules, loadEncryptionConfiguration, validateEncryptionConfiguration,
  type EncryptionConfiguration, type EncryptionRule, type ProviderConfiguration, type ResourceConfiguration, type StoredResource,
} from "./encryption-config.js";
export { ensureSecretsEncryptionConfig, DEFAULT_KEY_NAME } from "./secrets-encryption.js";
export { aesCbcTransformer } from "./aes-cbc.js";
export { aesGcmTransformer } from "./aes-gcm.js";
export { identityTransformer, type Transformer } from "./transformer.js";

/** Wraps store with the configuration in file; catalog maps resource names to storage prefixes. */
export function encryptStore(store: Store, file: string, catalog: StoredResource[]): Store {
  return new EncryptedStore(store, encryptionRules(loadEncryptionConfiguration(file), catalog));
}
