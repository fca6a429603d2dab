/**
 * A server joining a cluster (`skiff server --server URL --token T`), as a
 * k3s server joins: it fetches the cluster CA from URL/cacerts and trusts
 * it only if its SHA-256 is the token's `K10<hash>`; then, over TLS
 * verified against that CA, it sends the server token and gets the shared
 * secrets (src/pki/server-bootstrap.ts) into its own TLS directory. From
 * there ensurePki issues the server's own serving certificate from the
 * shared CA, for its own addresses.
 *
 * Why over HTTPS from a running server rather than k3s' other way (the
 * secrets in the datastore, encrypted with a key derived from the token):
 * the datastore would then hold the CA key for anyone who reads etcd, and
 * guarding it rests on the token's strength alone, while here the key never
 * leaves the servers' disks except over a channel both ends authenticate
 * (the joiner pins the CA, the server checks the token). The cost: the
 * first join needs a live server; a server that joined once restarts from
 * its own files without one.
 */
import { request } from "node:https";
import { join } from "node:path";
import { fetchTrustedCA } from "../kubelet/bootstrap.js";
import { keptCaFingerprint, parseBootstrapToken, parseJoinToken, writeServerBootstrap, type ServerBootstrapData } from "../pki/index.js";

const BOOTSTRAP_PATH = "/v1-skiff/server-bootstrap";

/** Parses --token for a joining server: the CA hash and the `<id>.<secret>` server token, or says why not. */
export function serverJoinToken(token: string): { caHash: string; secret: string } {
  const { caHash, secret } = parseJoinToken(token);
  if (!caHash) throw new Error("--token must carry the CA's fingerprint (K10<sha256>::<id>.<secret>, as the first server's DATA_DIR/node-token holds it)");
  if (!parseBootstrapToken(secret)) throw new Error("--token must end in the server token <id>.<secret> (the first server's DATA_DIR/node-token)");
  return { caHash, secret };
}

/**
 * Makes DATA_DIR/tls hold the cluster's shared secrets. A directory that
 * already holds the token's CA has joined before and is left as it is; one
 * that holds another CA belongs to another cluster and is refused.
 * Returns whether it fetched anything.
 */
export async function joinServer(server: string, token: string, tlsDir: string): Promise<boolean> {
  const { caHash, secret } = serverJoinToken(token);
  const kept = keptCaFingerprint(tlsDir);
  if (kept === caHash) return false;
  if (kept) throw new Error(`${join(tlsDir, "ca.crt")} is another cluster's CA than the token names: use a new --data-dir to join`);
  const ca = await fetchTrustedCA(server, caHash);
  const data = await fetchBootstrap(server, ca, secret);
  writeServerBootstrap(tlsDir, data, caHash);
  return true;
}

function fetchBootstrap(server: string, ca: string, secret: string): Promise<ServerBootstrapData> {
  const authorization = "Basic " + Buffer.from(`server:${secret}`).toString("base64");
  return new Promise((resolve, reject) => {
    const req = request(new URL(BOOTSTRAP_PATH, server), { method: "GET", ca, headers: { authorization }, timeout: 30_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        if (res.statusCode === 401) return reject(new Error(`${server} refused the token: it is not that server's token (DATA_DIR/node-token); an agent token cannot join a server`));
        if (res.statusCode !== 200) return reject(new Error(`${server}${BOOTSTRAP_PATH} answered ${res.statusCode}: ${body.slice(0, 200)}`));
        try { resolve(JSON.parse(body) as ServerBootstrapData); } catch (err) { reject(new Error(`${server}${BOOTSTRAP_PATH}: not JSON`, { cause: err })); }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => reject(new Error(`cannot get the bootstrap data from ${server}: ${err.message}`)));
    req.end();
  });
}
