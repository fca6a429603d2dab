/** The `skiff` command: one binary, one subcommand per role. */
import { serverCommand, serverUsage } from "./server-command.js";
import { agentCommand, agentUsage } from "./agent-command.js";
import { simCommand, simUsage } from "./sim-command.js";
import { componentCommand, componentUsage } from "./component-commands.js";
import { imagesCommand, killallCommand, nodeUsage } from "./node-commands.js";
import { tokenCommand, tokenUsage } from "./token-command.js";
import { clusterCommand, clusterUsage } from "./cluster-command.js";
import { secretsEncryptCommand, secretsEncryptUsage } from "./secrets-encrypt-command.js";

const usage = `Usage: skiff <command> [flags]

Commands:
  server    run the control plane (API server on SQLite or etcd, scheduler, controllers)
  agent     join a further node to a cluster (with a bootstrap token: the server's node-token)
  cluster   create, delete and list multi-node clusters on this machine (a network namespace per node)
  token     create, list and delete bootstrap tokens for joining nodes
  controller-manager  run the controllers alone against an API server (leader-elected)
  scheduler           run the scheduler alone against an API server (leader-elected)
  sim       add simulated nodes to a running cluster
  images    build, import and list the node's container images
  killall   remove every pod the node runs, with its mounts and network
  secrets-encrypt status|reencrypt  Secrets' encryption at rest: its keys, and rewriting Secrets under the active one
  version   print the version

${serverUsage}
${agentUsage}
${tokenUsage}
${clusterUsage}
${simUsage}
${componentUsage}
${nodeUsage}
${secretsEncryptUsage}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "server": return serverCommand(rest);
    case "agent": return agentCommand(rest);
    case "token": return tokenCommand(rest);
    case "cluster": return clusterCommand(rest);
    case "sim": return simCommand(rest);
    case "images": return imagesCommand(rest);
    case "killall": return killallCommand(rest);
    case "secrets-encrypt": return secretsEncryptCommand(rest);
    case "controller-manager": return componentCommand("controller-manager", rest);
    case "scheduler": return componentCommand("scheduler", rest);
    case "version": {
      const { VERSION_INFO } = await import("../apiserver/index.js");
      process.stdout.write(`skiff ${VERSION_INFO.gitVersion}\n`);
      return 0;
    }
    case undefined: case "help": case "--help": case "-h":
      process.stdout.write(usage);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 1;
  }
}
