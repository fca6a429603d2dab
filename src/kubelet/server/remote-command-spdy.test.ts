import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { describe, it } from "node:test";
import type { ExecStatus } from "../../api/exec-streams.js";
import { acceptRemoteCommand, type TerminalSize } from "./remote-command-spdy.js";
import { SpdySession, type SpdyStream } from "./spdy/session.js";

/** A client session and a server session joined in memory, both without flow control, as spdystream peers. */
function sessions(): { client: SpdySession; server: SpdySession } {
  const ends: Duplex[] = [];
  const make = (other: () => Duplex) => new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) { other().push(chunk); cb(); },
    final(cb) { other().push(null); cb(); },
  });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return { client: new SpdySession(ends[0]!, { isServer: false, flowControl: false }), server: new SpdySession(ends[1]!, { isServer: true, flowControl: false }) };
}

function readAll(s: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    s.on("data", (d: Buffer) => { text += d.toString(); });
    s.once("end", () => resolve(text));
    s.resume();
  });
}

const exit3: ExecStatus = {
  metadata: {}, status: "Failure", reason: "NonZeroExitCode", message: "command terminated with non-zero exit code: exit code 3",
  details: { causes: [{ reason: "ExitCode", message: "3" }] },
};

describe("remotecommand over SPDY, the server's side", () => {
  for (const protocol of ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]) {
    it(`${protocol}: takes the client's streams, then ends with the status in the protocol's form`, async () => {
      const { client, server } = sessions();
      const accepted = acceptRemoteCommand(server, protocol, { stdin: true, stdout: true, stderr: true, tty: false });
      // As client-go opens them: error first, one after the other.
      const error = await client.open({ streamtype: "error" });
      const stdin = await client.open({ streamtype: "stdin" });
      const stdout = await client.open({ streamtype: "stdout" });
      const stderr = await client.open({ streamtype: "stderr" });
      const remote = await accepted;
      stdin.end("input");
      assert.equal(await readAll(remote.stdin!), "input");
      remote.stdout!.write("out");
      remote.stderr!.write("err");
      const texts = Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
      remote.finish(exit3);
      const [out, err, status] = await texts;
      assert.deepEqual([out, err], ["out", "err"]);
      if (protocol === "v4.channel.k8s.io") assert.deepEqual(JSON.parse(status), exit3);
      else assert.equal(status, exit3.message);
      await remote.closed;
    });
  }

  it("with a terminal (v3 and later): waits for the resize stream and reads each size", async () => {
    const { client, server } = sessions();
    const accepted = acceptRemoteCommand(server, "v4.channel.k8s.io", { stdin: true, stdout: true, stderr: false, tty: true });
    await client.open({ streamtype: "error" });
    await client.open({ streamtype: "stdin" });
    await client.open({ streamtype: "stdout" });
    let settled = false;
    void accepted.then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false, "the resize stream is still to come");
    const resize = await client.open({ streamtype: "resize" });
    const remote = await accepted;
    const sizes: TerminalSize[] = [];
    remote.onResize((s) => sizes.push(s));
    resize.write('{"Width":80,"Height":24}\n{"Width":120,');
    resize.write('"Height":40}\n');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sizes, [{ Width: 80, Height: 24 }, { Width: 120, Height: 40 }]);
  });

  it("refuses a stream of an unknown type, or a second one of a type", async () => {
    const { client, server } = sessions();
    const accepted = acceptRemoteCommand(server, "v4.channel.k8s.io", { stdin: false, stdout: true, stderr: false, tty: false });
    await assert.rejects(client.open({ streamtype: "bogus" }), /RST_STREAM/);
    await client.open({ streamtype: "stdout" });
    await assert.rejects(client.open({ streamtype: "stdout" }), /RST_STREAM/);
    // Without its error stream the session never starts; the client going away ends the wait.
    client.close();
    await assert.rejects(accepted, /went away/);
  });
});
