/**
 * SIGTERM ends `skiff server` in order whenever it comes: also while the
 * server still starts, as a supervisor (systemd, a test runner) may send it.
 * Ended by Node's default instead, the process would leave its node's
 * containerd and mounts behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../helpers/skiff-server.js";

describe("skiff server shutdown", () => {
  it("stops in order on a SIGTERM that arrives during start-up", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "skiff-test-"));
    try {
      // Simulated nodes and the components still start after the API server says it listens.
      const child = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "server", "--data-dir", dataDir, "--port", "0", "--runtime", "none", "--sim-nodes", "3"], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("listening on")) { child.kill("SIGTERM"); resolve(); }
        });
        void exited.then(() => reject(new Error(`skiff server exited before it listened:\n${stderr}`)));
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const { code, signal } = await exited;
      clearTimeout(timer);
      assert.equal(signal, null, `the server died of ${signal} instead of shutting down:\n${stderr.slice(-2000)}`);
      assert.equal(code, 0, stderr.slice(-2000));
      assert.match(stderr, /"stopping"/);
      assert.match(stderr, /"stopped"/);
      assert.doesNotMatch(stderr, /shutdown did not finish/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
