/**
 * upstream's EncryptionConfiguration (apiserver.config.k8s.io/v1), read from
 * --encryption-provider-config: which resources are encrypted, and with which
 * providers in order (the first encrypts writes, every one may read).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { aesCbcTransformer } from "./aes-cbc.js";
import { aesGcmTransformer } from "./aes-gcm.js";
import { identityTransformer, type Transformer } from "./transformer.js";

export interface EncryptionKey { name: string; secret: string }

export interface ProviderConfiguration {
  aescbc?: { keys: EncryptionKey[] };
  aesgcm?: { keys: EncryptionKey[] };
  secretbox?: { keys: EncryptionKey[] };
  identity?: Record<string, never>;
  kms?: unknown;
}

export interface ResourceConfiguration { resources: string[]; providers: ProviderConfiguration[] }

export interface EncryptionConfiguration {
  apiVersion: "apiserver.config.k8s.io/v1";
  kind: "EncryptionConfiguration";
  resources: ResourceConfiguration[];
}

/** One rule of the configuration, resolved: the storage prefixes it covers and its transformers in order. */
export interface EncryptionRule {
  /** Storage key prefixes, each ending in "/" (e.g. "/registry/secrets/"). */
  prefixes: string[];
  /** The first encrypts writes; reads try each whose prefix matches, in order. */
  transformers: Transformer[];
}

/** What a rule needs to know of a served resource to find its storage prefix. */
export interface StoredResource { group: string; resource: string; storagePrefix: string }

const PROVIDER_NAMES = ["aescbc", "aesgcm", "secretbox", "identity", "kms"] as const;

/** Reads and checks the file; errors name the field as upstream's validation does. */
export function loadEncryptionConfiguration(file: string): EncryptionConfiguration {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`error while parsing file ${file}`, { cause });
  }
  const errors = validateEncryptionConfiguration(doc);
  if (errors.length) throw new Error(`error while parsing file ${file}: ${errors.join(", ")}`);
  return doc as EncryptionConfiguration;
}

export function validateEncryptionConfiguration(doc: unknown): string[] {
  const errors: string[] = [];
  const c = doc as Partial<EncryptionConfiguration> | null;
  if (!c || typeof c !== "object") return ["the file is not an EncryptionConfiguration object"];
  if (c.kind !== "EncryptionConfiguration" || c.apiVersion !== "apiserver.config.k8s.io/v1") {
    errors.push(`no kind "${c.kind}" is registered for version "${c.apiVersion}": want kind EncryptionConfiguration, apiVersion apiserver.config.k8s.io/v1`);
  }
  if (!Array.isArray(c.resources) || !c.resources.length) return [...errors, "resources: Required value: resources is a required field"];
  c.resources.forEach((r, i) => {
    const at = `resources[${i}]`;
    if (!Array.isArray(r?.resources) || !r.resources.length) errors.push(`${at}.resources: Required value: resources is a required field`);
    for (const [j, name] of (r?.resources ?? []).entries()) {
      if (typeof name !== "string" || !/^(\*|[a-z0-9-]+)(\.(\*|[a-z0-9.-]*))?$/.test(name)) {
        errors.push(`${at}.resources[${j}]: Invalid value: ${JSON.stringify(name)}: resource name must be a resource, resource.group, *.group or *.*`);
      }
    }
    if (!Array.isArray(r?.providers) || !r.providers.length) {
      errors.push(`${at}.providers: Required value: providers is a required field`);
      return;
    }
    const names = new Set<string>();
    r.providers.forEach((p, j) => {
      const pat = `${at}.providers[${j}]`;
      const set = PROVIDER_NAMES.filter((n) => p && (p as Record<string, unknown>)[n] !== undefined);
      if (set.length !== 1) {
        errors.push(set.length ? `${pat}: Invalid value: more than one provider specified in a single element, should split into different list elements`
          : `${pat}: Required value: provider does not contain any of the expected providers: KMS, secretbox, aesgcm, aescbc or identity`);
        return;
      }
      const kind = set[0]!;
      if (kind === "kms") errors.push(`${pat}.kms: Unsupported value: KMS providers are not supported by Skiff`);
      if (kind === "secretbox") errors.push(`${pat}.secretbox: Unsupported value: the secretbox provider is not supported by Skiff; use aesgcm or aescbc`);
      if (kind !== "aescbc" && kind !== "aesgcm") return;
      const keys = p[kind]?.keys;
      if (!Array.isArray(keys) || !keys.length) {
        errors.push(`${pat}.${kind}.keys: Required value: keys is a required field`);
        return;
      }
      keys.forEach((k, n) => {
        const kat = `${pat}.${kind}.keys[${n}]`;
        if (!k?.name) errors.push(`${kat}.name: Required value: key.name is a required field`);
        else if (k.name.includes(":")) errors.push(`${kat}.name: Invalid value: ${JSON.stringify(k.name)}: should not contain ':'`);
        else if (names.has(`${kind}:${k.name}`)) errors.push(`${kat}.name: Duplicate value: ${JSON.stringify(k.name)}`);
        else names.add(`${kind}:${k.name}`);
        if (!k?.secret) {
          errors.push(`${kat}.secret: Required value: key.secret is a required field`);
          return;
        }
        const bytes = Buffer.from(k.secret, "base64");
        if (bytes.toString("base64").replace(/=+$/, "") !== k.secret.replace(/=+$/, "")) {
          errors.push(`${kat}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
        } else if (![16, 24, 32].includes(bytes.length)) {
          errors.push(`${kat}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of [16 24 32]`);
        }
      });
    });
  });
  return errors;
}

/**
 * Resolves each entry's resource names to storage prefixes ("secrets" is the
 * core group's secrets, "deployments.apps" names a group, "*.apps" every
 * resource of a group, "*." the core group, "*.*" everything) and builds its
 * transformers, one per key, providers flattened in order as upstream.
 */
export function encryptionRules(config: EncryptionConfiguration, catalog: StoredResource[]): EncryptionRule[] {
  return config.resources.map((r) => ({
    prefixes: [...new Set(r.resources.flatMap((name) => prefixesFor(name, catalog)))],
    transformers: r.providers.flatMap(transformersOf),
  }));
}

function prefixesFor(name: string, catalog: StoredResource[]): string[] {
  const dot = name.indexOf(".");
  const resource = dot < 0 ? name : name.slice(0, dot);
  const group = dot < 0 ? "" : name.slice(dot + 1);
  if (resource === "*" && group === "*") return ["/registry/"];
  const known = catalog.filter((c) => c.group === group && (resource === "*" || c.resource === resource)).map((c) => c.storagePrefix + "/");
  if (known.length || resource === "*") return known;
  // A resource not served yet (a custom resource, say): its prefix by the convention the catalog follows.
  return [group ? `/registry/${group}/${resource}/` : `/registry/${resource}/`];
}

function transformersOf(p: ProviderConfiguration): Transformer[] {
  if (p.identity !== undefined) return [identityTransformer];
  if (p.aescbc) return p.aescbc.keys.map((k) => aesCbcTransformer(k.name, Buffer.from(k.secret, "base64")));
  if (p.aesgcm) return p.aesgcm.keys.map((k) => aesGcmTransformer(k.name, Buffer.from(k.secret, "base64")));
  throw new Error("unsupported encryption provider");
}
