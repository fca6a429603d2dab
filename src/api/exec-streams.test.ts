import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { channelCodec, pickExecProtocol, type ExecStatus } from "./exec-streams.js";

const failure: ExecStatus = {
  metadata: {}, status: "Failure", reason: "NonZeroExitCode", message: "command terminated with non-zero exit code: exit code 2",
  details: { causes: [{ reason: "ExitCode", message: "2" }] },
};

describe("exec channel protocols over WebSocket", () => {
  it("picks the client's first served subprotocol", () => {
    assert.equal(pickExecProtocol(new Set(["v5.channel.k8s.io", "v4.channel.k8s.io"])), "v5.channel.k8s.io");
    assert.equal(pickExecProtocol(new Set(["bogus", "base64.channel.k8s.io", "channel.k8s.io"])), "base64.channel.k8s.io");
    assert.equal(pickExecProtocol(new Set(["bogus"])), false);
  });

  const table = [
    { protocol: "v5.channel.k8s.io", binary: true, json: true, closeSignal: true },
    { protocol: "v4.channel.k8s.io", binary: true, json: true, closeSignal: false },
    { protocol: "v4.base64.channel.k8s.io", binary: false, json: true, closeSignal: false },
    { protocol: "channel.k8s.io", binary: true, json: false, closeSignal: false },
    { protocol: "base64.channel.k8s.io", binary: false, json: false, closeSignal: false },
    { protocol: "", binary: true, json: false, closeSignal: false },
  ];
  for (const t of table) {
    it(`frames ${t.protocol || "no subprotocol"} as ${t.binary ? "binary" : "base64 text"}, its status as ${t.json ? "a Status" : "a message"}`, () => {
      const codec = channelCodec(t.protocol);
      assert.equal(codec.closeSignal, t.closeSignal);
      const m = codec.encode(1, Buffer.from("out"));
      assert.equal(m.binary, t.binary);
      assert.deepEqual(m.data, t.binary ? Buffer.from([1, 0x6f, 0x75, 0x74]) : "1b3V0");
      const back = codec.decode(Buffer.from(m.data), m.binary);
      assert.deepEqual(back, { channel: 1, payload: Buffer.from("out") });
      const status = codec.status(failure)!.toString();
      if (t.json) assert.deepEqual(JSON.parse(status), failure);
      else assert.equal(status, failure.message);
      assert.equal(codec.status({ metadata: {}, status: "Success" })?.toString(), t.json ? '{"metadata":{},"status":"Success"}' : undefined);
    });
  }
});
