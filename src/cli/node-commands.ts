/** `skiff images` (build, import, list the node's images) and `skiff killall` (remove every pod the node runs). */
import { resolve, join } from "node:path";
import { parseArgs } from "node:util";
import { componentLog } from "./component-commands.js";
import { buildBuiltinImages, importImageArchive } from "../kubelet/images/build.js";
import { containerdPaths } from "../kubelet/runtime/cri/containerd.js";
import { CriClient } from "../kubelet/runtime/cri/cri-client.js";
import { cleanupNode } from "../agent/index.js";

export const nodeUsage = `Usage: skiff images build|import FILE|list [--data-dir DIR]
       skiff killall [--data-dir DIR] [--pod-bridge NAME]

  images build         build the sandbox and busybox images offline (from Debian's busybox-static) into DATA_DIR/agent/images,
                       which the node imports when it starts
  images import FILE   import an OCI or Docker image archive into the running node's containerd
  images list          list the images the node's containerd has
  killall              stop and remove every pod of the node, its mounts, pod bridge and cgroups (the server must be stopped)
`;

export async function imagesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "data-dir": { type: "string", default: "data" }, help: { type: "boolean", short: "h" } } });
  const dataDir = resolve(values["data-dir"]!);
  const [verb, file] = positionals;
  if (values.help || !verb) { process.stdout.write(nodeUsage); return values.help ? 0 : 1; }
  const socket = containerdPaths(dataDir).socket;
  switch (verb) {
    case "build":
      process.stdout.write(`${buildBuiltinImages(join(dataDir, "agent", "images"))}\n`);
      return 0;
    case "import":
      if (!file) { process.stderr.write("skiff images import: a FILE is required\n"); return 1; }
      process.stdout.write(importImageArchive(socket, resolve(file)));
      return 0;
    case "list": {
      const cri = new CriClient(socket);
      try {
        const images = await cri.listImages();
        process.stdout.write(`${"IMAGE".padEnd(50)} ${"IMAGE ID".padEnd(15)} SIZE\n`);
        for (const i of images) process.stdout.write(`${(i.repoTags[0] ?? i.repoDigests[0] ?? "<none>").padEnd(50)} ${i.id.replace("sha256:", "").slice(0, 13).padEnd(15)} ${(i.size / 1e6).toFixed(1)}MB\n`);
      } catch (err) {
        process.stderr.write(`cannot reach the node's containerd at ${socket} (is skiff server running with --data-dir ${dataDir}?): ${(err as Error).message}\n`);
        return 1;
      } finally {
        cri.close();
      }
      return 0;
    }
    default:
      process.stderr.write(`unknown images command ${JSON.stringify(verb)}\n\n${nodeUsage}`);
      return 1;
  }
}

export async function killallCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "data-dir": { type: "string", default: "data" }, "pod-bridge": { type: "string", default: "skiff0" } } });
  await cleanupNode(resolve(values["data-dir"]!), values["pod-bridge"]!, componentLog("killall"));
  return 0;
}
