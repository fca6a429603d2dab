/**
 * `skiff secrets-encrypt status|reencrypt`, after k3s's command of that name:
 * status reads the server's EncryptionConfiguration; reencrypt rewrites every
 * Secret through the API unchanged, which stores it again under the first
 * (active) key, since an update of a value read with another key is never
 * skipped as a no-op. Upstream's equivalent is
 * `kubectl get secrets -A -o json | kubectl replace -f -`.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { isApiError } from "../api/errors.js";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../client/index.js";
import { loadEncryptionConfiguration } from "../storage/index.js";

export const secretsEncryptUsage = `Usage: skiff secrets-encrypt status|reencrypt [flags]

  status     whether Secrets are encrypted at rest, and with which keys (the first one writes)
  reencrypt  rewrite every Secret, so that each is stored under the active key (after a key is added first)

Flags:
  --data-dir DIR                      the server's data directory (default ./data)
  --encryption-provider-config FILE   the server's EncryptionConfiguration (default DATA_DIR/tls/encryption-config.json)
  --kubeconfig FILE                   for reencrypt (default DATA_DIR/kubeconfig.yaml)
`;

const KEY_TYPES: Record<string, string> = { aescbc: "AES-CBC", aesgcm: "AES-GCM", secretbox: "XSalsa20-Poly1305", identity: "Identity", kms: "KMS" };

export async function secretsEncryptCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      "data-dir": { type: "string", default: "data" },
      "encryption-provider-config": { type: "string" },
      kubeconfig: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const action = positionals[0];
  if (values.help || (action !== "status" && action !== "reencrypt")) {
    process.stdout.write(secretsEncryptUsage);
    return values.help ? 0 : 1;
  }
  const dataDir = resolve(values["data-dir"]!);
  if (action === "status") return status(resolve(values["encryption-provider-config"] ?? join(dataDir, "tls", "encryption-config.json")));
  return reencrypt(new Client(loadKubeconfig(resolve(values.kubeconfig ?? join(dataDir, "kubeconfig.yaml")))));
}

function status(file: string): number {
  if (!existsSync(file)) {
    process.stdout.write("Encryption Status: Disabled, no configuration file found\n");
    return 0;
  }
  const config = loadEncryptionConfiguration(file);
  const rule = config.resources.find((r) => r.resources.includes("secrets") || r.resources.includes("*.") || r.resources.includes("*.*"));
  if (!rule) {
    process.stdout.write("Encryption Status: Disabled, secrets are not in the configuration\n");
    return 0;
  }
  const rows: string[][] = [];
  for (const p of rule.providers) {
    const [kind, body] = Object.entries(p)[0] as [string, { keys?: { name: string }[] } | undefined];
    for (const name of kind === "identity" ? ["-"] : (body?.keys ?? []).map((k) => k.name)) rows.push([rows.length === 0 ? " *" : "", KEY_TYPES[kind] ?? kind, name]);
  }
  const active = rows[0]?.[1] === "Identity" ? "Disabled, writes are not encrypted (identity is first)" : "Enabled";
  const table = [["Active", "Key Type", "Name"], ["------", "--------", "----"], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i]!.length)));
  process.stdout.write(`Encryption Status: ${active}\n\n${table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n")}\n`);
  return 0;
}

async function reencrypt(client: Client): Promise<number> {
  let rewritten = 0;
  let token: string | undefined;
  do {
    const page = await client.list(Resources.secrets, undefined, { limit: 500, continue: token });
    for (const secret of page.items) if (await rewrite(client, secret)) rewritten++;
    token = page.metadata.continue || undefined;
  } while (token);
  process.stdout.write(`${rewritten} secrets rewritten\n`);
  return 0;
}

/** Writes a Secret back as read; a concurrent change already stored it under the active key. */
async function rewrite(client: Client, secret: KubeObject): Promise<boolean> {
  try {
    await client.update(Resources.secrets, secret.metadata.namespace, secret);
    return true;
  } catch (err) {
    if (isApiError(err, "Conflict") || isApiError(err, "NotFound")) return false;
    throw new Error(`reencrypt secret ${secret.metadata.namespace}/${secret.metadata.name}`, { cause: err });
  }
}
