import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ProcessRuntime } from "./process-runtime.js";

const scratch = mkdtempSync(join(tmpdir(), "skiff-procrt-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("the process runtime's volumes", () => {
  it("shows each mount at its path under SKIFF_CONTAINER_ROOT, and removes only the links", async () => {
    const volume = join(scratch, "volume");
    mkdirSync(volume);
    writeFileSync(join(volume, "token"), "a.b.c");
    const rt = new ProcessRuntime("127.0.0.1", join(scratch, "roots"));
    const meta = { name: "p", uid: "u", namespace: "default", attempt: 0 };
    const sid = await rt.runPodSandbox({ metadata: meta, logDirectory: join(scratch, "logs") });
    const cid = await rt.createContainer(sid, {
      metadata: { name: "c", attempt: 0 }, image: { image: "unused" }, logPath: "c/0.log",
      command: ["sh", "-c", 'cat "$SKIFF_CONTAINER_ROOT/var/run/secrets/kubernetes.io/serviceaccount/token"'],
      mounts: [{ containerPath: "/var/run/secrets/kubernetes.io/serviceaccount", hostPath: volume, readonly: true }],
    }, { metadata: meta, logDirectory: join(scratch, "logs") });
    await rt.startContainer(cid);
    for (let i = 0; i < 100 && (await rt.containerStatus(cid)).state !== "CONTAINER_EXITED"; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await rt.containerStatus(cid)).exitCode, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(readFileSync(join(scratch, "logs", "c", "0.log"), "utf8"), / stdout P a\.b\.c\n$/);
    await rt.removeContainer(cid);
    assert.equal(existsSync(join(scratch, "roots", cid)), false);
    assert.equal(readFileSync(join(volume, "token"), "utf8"), "a.b.c", "the volume itself stays");
  });
});
