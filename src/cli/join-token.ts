/**
 * The server's join token, as k3s and kubeadm keep it: a bootstrap token
 * (a kube-system Secret `bootstrap-token-<id>` that never expires, for
 * authentication and signing) whose `<id>.<secret>` is kept in
 * DATA_DIR/tls/bootstrap.token, and DATA_DIR/node-token holding
 * `K10<CA sha256>::<id>.<secret>` for `skiff agent --token`.
 *
 * On upgrade from the node token of older releases (tls/node.token), its
 * secret is kept when it has a bootstrap secret's form; otherwise a new one
 * is made and node-token rewritten (agents that joined keep their client
 * certificates; a new agent needs the new token).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "../client/index.js";
import {
  BOOTSTRAP_TOKEN_SECRET_PREFIX, bootstrapTokenSecret, generateBootstrapToken, joinToken, parseBootstrapToken, randomTokenChars,
  type BootstrapToken, type Pki,
} from "../pki/index.js";

const secrets = { group: "", version: "v1", resource: "secrets", namespaced: true };

/**
 * The token id.secret the server keeps, made (or taken over from the old node token) on first start,
 * or the one given (`--token`: a server that joins keeps the cluster's, as k3s' servers share one).
 * A given token that is not the kept one is refused, as k3s refuses a changed --token.
 */
export function serverBootstrapToken(tlsDir: string, given?: BootstrapToken): BootstrapToken {
  const file = join(tlsDir, "bootstrap.token");
  const kept = existsSync(file) ? parseBootstrapToken(readFileSync(file, "utf8").trim()) : undefined;
  if (kept && given && (kept.id !== given.id || kept.secret !== given.secret)) {
    throw new Error(`--token is not the token this server was started with (${file}): the server token cannot be changed this way`);
  }
  if (kept) return kept;
  if (given) {
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${given.id}.${given.secret}\n`, { mode: 0o600 });
    return given;
  }
  const old = existsSync(join(tlsDir, "node.token")) ? readFileSync(join(tlsDir, "node.token"), "utf8").trim() : "";
  const token = /^[a-z0-9]{16}$/.test(old) ? { id: randomTokenChars(6), secret: old } : generateBootstrapToken();
  writeFileSync(file, `${token.id}.${token.secret}\n`, { mode: 0o600 });
  return token;
}

/** Makes sure the token's Secret exists (the store may be new, or an admin deleted it), and writes DATA_DIR/node-token. */
export async function ensureJoinToken(client: Client, pki: Pki, dataDir: string, signal?: AbortSignal, given?: BootstrapToken): Promise<string> {
  const token = serverBootstrapToken(join(dataDir, "tls"), given);
  const name = BOOTSTRAP_TOKEN_SECRET_PREFIX + token.id;
  // kube-system is made by the server's own start-up; wait for it a little.
  for (let attempt = 0; ; attempt++) {
    try {
      await client.get(secrets, "kube-system", name).catch(async (err: { code?: number }) => {
        if (err.code !== 404) throw err;
        await client.create(secrets, "kube-system", bootstrapTokenSecret(token, {
          description: "The default bootstrap token of skiff server: DATA_DIR/node-token.", usages: ["authentication", "signing"],
        }) as never);
      });
      break;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (attempt >= 50 || signal?.aborted || (code !== 404 && code !== 409 && code !== 503)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const file = join(dataDir, "node-token");
  const text = joinToken(pki, `${token.id}.${token.secret}`);
  writeFileSync(file, text + "\n", { mode: 0o600 });
  return file;
}
