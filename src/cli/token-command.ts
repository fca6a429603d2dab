/**
 * `skiff token create|list|delete`: bootstrap tokens for joining nodes, as
 * `kubeadm token`, written through the admin kubeconfig. `create` prints the
 * join token agents take, `K10<CA sha256>::<id>.<secret>` (as `k3s token
 * create`), so the agent can check the server's CA before trusting it.
 */
import { resolve, join } from "node:path";
import { parseArgs } from "node:util";
import type { Secret } from "kubernetes-types/core/v1.js";
import { Client, loadKubeconfig } from "../client/index.js";
import {
  BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_SECRET_PREFIX, BOOTSTRAP_TOKEN_SECRET_TYPE, bootstrapTokenExpiration, bootstrapTokenSecret,
  caFingerprint, generateBootstrapToken, secretValue,
} from "../pki/index.js";

export const tokenUsage = `Usage: skiff token create|list|delete [flags]

  create [--ttl 24h] [--description TEXT] [--groups system:bootstrappers:...] [--usages signing,authentication]
                               make a bootstrap token and print the join token for skiff agent --token
                               (--ttl 0: it never expires)
  list                         the bootstrap tokens, as kubeadm token list
  delete ID|TOKEN              delete a bootstrap token

Flags:
  --kubeconfig FILE            an admin kubeconfig (default $KUBECONFIG, else DATA_DIR/kubeconfig.yaml)
  --data-dir DIR               the server's data directory (default ./data)
`;

const secrets = { group: "", version: "v1", resource: "secrets", namespaced: true };

/** A Go duration ("24h", "1h30m", "90s", "0"), in milliseconds. */
export function parseDuration(text: string): number {
  if (text === "0") return 0;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  let rest = text;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(text)} (e.g. 24h, 30m, 1h30m)`);
    ms += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return ms;
}

/** Upstream's duration.ShortHumanDuration. */
export function shortHumanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 86400 * 365) return `${Math.floor(s / 86400)}d`;
  return `${Math.floor(s / (86400 * 365))}y`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd()).join("\n") + "\n";
}

export async function tokenCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      kubeconfig: { type: "string" }, "data-dir": { type: "string", default: "data" },
      ttl: { type: "string", default: "24h" }, description: { type: "string" }, groups: { type: "string" },
      usages: { type: "string", default: "signing,authentication" }, help: { type: "boolean", short: "h" },
    },
  });
  const [sub, arg] = positionals;
  if (values.help || !sub) { process.stdout.write(tokenUsage); return values.help ? 0 : 1; }
  try {
    const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG ?? join(resolve(values["data-dir"]!), "kubeconfig.yaml");
    const config = loadKubeconfig(kubeconfig);
    const client = new Client(config);
    if (sub === "create") {
      const usages = values.usages!.split(",").map((u) => u.trim()).filter(Boolean);
      const bad = usages.filter((u) => u !== "signing" && u !== "authentication");
      if (bad.length) throw new Error(`invalid bootstrap token usage: ${bad.join(", ")} (signing, authentication)`);
      const groups = values.groups ? values.groups.split(",").map((g) => g.trim()) : [];
      const badGroup = groups.find((g) => !BOOTSTRAP_GROUP_PATTERN.test(g));
      if (badGroup) throw new Error(`${JSON.stringify(badGroup)} is not a valid bootstrap group (it must start with system:bootstrappers:)`);
      const token = generateBootstrapToken();
      await client.create(secrets, "kube-system", bootstrapTokenSecret(token, {
        ttlMs: parseDuration(values.ttl!), description: values.description, usages: usages as ("signing" | "authentication")[], extraGroups: groups,
      }) as never);
      if (!config.ca) throw new Error(`${kubeconfig} holds no certificate-authority-data to fingerprint`);
      process.stdout.write(`K10${caFingerprint(config.ca)}::${token.id}.${token.secret}\n`);
      return 0;
    }
    if (sub === "list") {
      const list = await client.list(secrets, "kube-system");
      const rows = [["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"]];
      for (const item of list.items) {
        const s = item as unknown as Secret;
        if (s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !String(s.metadata?.name).startsWith(BOOTSTRAP_TOKEN_SECRET_PREFIX)) continue;
        const expiration = bootstrapTokenExpiration(s);
        const usages = Object.keys(s.data ?? {}).filter((k) => k.startsWith("usage-bootstrap-") && secretValue(s, k) === "true").map((k) => k.slice(16)).sort();
        rows.push([
          `${secretValue(s, "token-id")}.${secretValue(s, "token-secret")}`,
          expiration ? shortHumanDuration(expiration.getTime() - Date.now()) : "<forever>",
          expiration ? secretValue(s, "expiration") : "<never>",
          usages.join(",") || "<none>", secretValue(s, "description") || "<none>", secretValue(s, "auth-extra-groups") || "<none>",
        ]);
      }
      process.stdout.write(table(rows));
      return 0;
    }
    if (sub === "delete") {
      const id = arg?.split(".")[0];
      if (!id || !/^[a-z0-9]{6}$/.test(id)) throw new Error("give the token id (6 characters) or the token");
      await client.delete(secrets, "kube-system", BOOTSTRAP_TOKEN_SECRET_PREFIX + id);
      process.stdout.write(`bootstrap token "${id}" deleted\n`);
      return 0;
    }
    throw new Error(`unknown token command ${JSON.stringify(sub)}`);
  } catch (err) {
    process.stderr.write(`skiff token: ${(err as Error).message}\n`);
    return 1;
  }
}
