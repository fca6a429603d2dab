/**
 * An API server in the test's own process, on SQLite in a temporary directory
 * and an ephemeral port, for tests that also need the store itself (to compact
 * it, say). `await using` tears it down.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer, adminKubeconfig, ensurePki } from "../../src/apiserver/index.js";
import { Client, loadKubeconfig } from "../../src/client/index.js";
import { SqliteStore } from "../../src/storage/index.js";

export interface ControlPlane extends AsyncDisposable {
  server: ApiServer;
  store: SqliteStore;
  client: Client;
  kubeconfig: string;
}

export async function startControlPlane(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-cp-"));
  const pki = await ensurePki(join(dir, "tls"));
  const store = new SqliteStore(join(dir, "state.db"));
  const server = new ApiServer({ store, pki, port: 0 });
  await server.start();
  const kubeconfig = join(dir, "kubeconfig.yaml");
  writeFileSync(kubeconfig, adminKubeconfig(pki, server.url));
  const client = new Client(loadKubeconfig(kubeconfig));
  // No controller manager runs here: make the `default` ServiceAccount its serviceaccount controller would, so pods pass the ServiceAccount admission plugin.
  await client.create({ group: "", version: "v1", resource: "serviceaccounts", namespaced: true }, "default", { metadata: { name: "default" } });
  return {
    server, store, client, kubeconfig,
    async [Symbol.asyncDispose]() {
      client.close();
      await server.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
