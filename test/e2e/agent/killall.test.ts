/**
 * `skiff killall` removes what its own node made, and nothing of another
 * node's: the killall of a data directory whose node never ran containers (a
 * control plane without a runtime, simulated nodes) leaves the host's pod
 * bridge and Service rules alone. Run in a network namespace this test makes,
 * standing in for a host whose node runs beside it; removed at the end.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../../helpers/skiff-server.js";

const asRoot = process.getuid?.() === 0;
const tools = spawnSync("ip", ["-V"]).status === 0 && spawnSync("nft", ["--version"]).status === 0;
const unavailable = !asRoot ? "needs root" : !tools ? "iproute2 or nftables is not installed" : null;
const ns = `skka${process.pid % 100000}`;

const sh = (args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: "utf8", timeout: 60_000 });
const inNs = (args: string[]) => sh(["ip", "netns", "exec", ns, ...args]);

describe("skiff killall", { skip: unavailable ?? false }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-killall-"));
  after(() => {
    sh(["ip", "netns", "del", ns]);
    rmSync(dataDir, { recursive: true, force: true });
    assert.ok(!sh(["ip", "netns", "list"]).stdout.includes(ns), "the test's namespace is gone");
  });

  it("of a data directory that never ran containers leaves the host's bridge and Service rules to their node", () => {
    assert.equal(sh(["ip", "netns", "add", ns]).status, 0);
    assert.equal(inNs(["ip", "link", "add", "skiff0", "type", "bridge"]).status, 0);
    assert.equal(inNs(["nft", "add", "table", "ip", "skiff-proxy"]).status, 0);
    // Only the network namespace is entered, as the agent's tests do, so the data directory is the host's.
    const r = sh(["nsenter", `--net=/run/netns/${ns}`, process.execPath, join(repoRoot, "bin/skiff.js"), "killall", "--data-dir", dataDir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(inNs(["ip", "link", "show", "skiff0"]).status, 0, "the other node's bridge stays");
    assert.equal(inNs(["nft", "list", "table", "ip", "skiff-proxy"]).status, 0, "and its Service rules");
  });
});
