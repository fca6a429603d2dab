/**
 * What every server of one cluster must hold the same, as k3s' "bootstrap
 * data": the cluster CA (which signs the clients' and kubelets'
 * certificates every server must trust, and the CSRs any server approves),
 * the front-proxy CA (extension API servers trust one requestheader CA), the
 * service-account signing key (a token one server issues is verified by
 * another), the admin's bearer token, and, where `--secrets-encryption`
 * made it, the encryption config (a Secret one server encrypts another
 * decrypts). Everything else in the TLS directory (serving certificate,
 * client certificates of the server's own components) each server issues
 * itself from the shared CAs.
 *
 * The data are files of the TLS directory by name; a server that joins
 * writes them before ensurePki, which then reuses them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caFingerprint } from "./pki.js";
import { SERVICE_ACCOUNT_KEY_FILE } from "./service-account-key.js";

/** The files that must be there: a server without them has no cluster to share. */
const REQUIRED = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", SERVICE_ACCOUNT_KEY_FILE, "admin.token"] as const;
/** Shared when the first server has them. */
const OPTIONAL = ["encryption-config.json"] as const;

/** File name (in the TLS directory) to its content. */
export interface ServerBootstrapData {
  files: Record<string, string>;
}

/** The shared files of a server's TLS directory, as the join endpoint serves them. */
export function readServerBootstrap(tlsDir: string): ServerBootstrapData {
  const files: Record<string, string> = {};
  for (const name of REQUIRED) files[name] = readFileSync(join(tlsDir, name), "utf8");
  for (const name of OPTIONAL) if (existsSync(join(tlsDir, name))) files[name] = readFileSync(join(tlsDir, name), "utf8");
  return { files };
}

/**
 * Writes the shared files a joining server was given into its TLS
 * directory (0600: keys and tokens). Only the names above are written, so
 * an answer cannot put a file anywhere else; a required one missing, or a
 * CA that is not the one the join token names, is refused before anything
 * is written.
 */
export function writeServerBootstrap(tlsDir: string, data: ServerBootstrapData, caHash: string): void {
  const files = data?.files ?? {};
  for (const name of REQUIRED) {
    if (typeof files[name] !== "string" || !files[name]) throw new Error(`the server's bootstrap data lack ${name}`);
  }
  if (caFingerprint(files["ca.crt"]!) !== caHash) throw new Error("the server's bootstrap data hold another CA than the token names");
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  for (const name of [...REQUIRED, ...OPTIONAL]) {
    const content = files[name];
    if (typeof content === "string") writeFileSync(join(tlsDir, name), content, { mode: 0o600 });
  }
}

/** The fingerprint of the CA a TLS directory holds, if it holds one: a server that joined once finds it on restart. */
export function keptCaFingerprint(tlsDir: string): string | undefined {
  const file = join(tlsDir, "ca.crt");
  return existsSync(file) ? caFingerprint(readFileSync(file, "utf8")) : undefined;
}
