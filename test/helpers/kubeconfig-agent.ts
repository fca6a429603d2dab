/** The server address and an HTTPS agent with a kubeconfig's CA and client certificate, for tests that send raw requests. */
import { readFileSync } from "node:fs";
import https from "node:https";
import { parse as parseYaml } from "yaml";

export function kubeconfigAgent(kubeconfig: string): { server: string; agent: https.Agent } {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8"));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  const agent = new https.Agent({
    ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
    cert: Buffer.from(user["client-certificate-data"], "base64"),
    key: Buffer.from(user["client-key-data"], "base64"),
  });
  return { server: cluster.server as string, agent };
}
