import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameReader, RstStatus, SpdyProtocolError, encodeFrame, type Frame } from "./frames.js";

const frames: Frame[] = [
  { type: "data", streamId: 3, fin: false, data: Buffer.from("hello") },
  { type: "data", streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
  { type: "synStream", streamId: 1, associatedStreamId: 0, priority: 3, fin: false, unidirectional: true, headerBlock: Buffer.from([1, 2, 3]) },
  { type: "synReply", streamId: 2, fin: true, headerBlock: Buffer.from([9]) },
  { type: "headers", streamId: 5, fin: false, headerBlock: Buffer.from([7, 7]) },
  { type: "rstStream", streamId: 7, status: RstStatus.cancel },
  { type: "settings", clear: false, entries: [{ id: 7, flags: 1, value: 1 << 20 }, { id: 4, flags: 0, value: 100 }] },
  { type: "ping", id: 0xfffffffe },
  { type: "goAway", lastGoodStreamId: 9, status: 1 },
  { type: "windowUpdate", streamId: 0, delta: 0x7fffffff },
];

describe("SPDY/3 frames", () => {
  for (const frame of frames) {
    it(`reads back a ${frame.type} frame it wrote`, () => {
      const reader = new FrameReader();
      reader.push(encodeFrame(frame));
      assert.deepEqual(reader.next(), frame);
      assert.equal(reader.next(), undefined);
      assert.equal(reader.pending, 0);
    });
  }

  it("lays out a control frame as the draft does: C bit, version 3, type, flags, 24-bit length", () => {
    const bytes = encodeFrame({ type: "ping", id: 1 });
    assert.equal(bytes.toString("hex"), "80030006" + "00000004" + "00000001");
    const data = encodeFrame({ type: "data", streamId: 5, fin: true, data: Buffer.from("ab") });
    assert.equal(data.toString("hex"), "00000005" + "01000002" + "6162");
    const syn = encodeFrame({ type: "synStream", streamId: 1, associatedStreamId: 0, priority: 7, fin: true, unidirectional: false, headerBlock: Buffer.alloc(0) });
    assert.equal(syn.toString("hex"), "80030001" + "0100000a" + "00000001" + "00000000" + "e000");
  });

  it("waits for the rest of a frame, however the bytes are cut", () => {
    const bytes = Buffer.concat(frames.map(encodeFrame));
    const reader = new FrameReader();
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) {
      reader.push(bytes.subarray(i, i + 1));
      for (let f; (f = reader.next());) got.push(f);
    }
    assert.deepEqual(got, frames);
  });

  it("ignores control frames of unknown types, as the draft says", () => {
    const reader = new FrameReader();
    reader.push(Buffer.from("8003000a0000000400000000", "hex"));
    assert.deepEqual(reader.next(), { type: "unknown", frameType: 10 });
  });

  it("refuses another SPDY version and frames of the wrong size", () => {
    const wrongVersion = new FrameReader();
    wrongVersion.push(Buffer.from("80020006" + "00000004" + "00000001", "hex"));
    assert.throws(() => wrongVersion.next(), (e: unknown) => e instanceof SpdyProtocolError && e.status === RstStatus.unsupportedVersion);
    const shortRst = new FrameReader();
    shortRst.push(Buffer.from("80030003" + "00000004" + "00000001", "hex"));
    assert.throws(() => shortRst.next(), SpdyProtocolError);
    const zeroDelta = new FrameReader();
    zeroDelta.push(Buffer.from("80030009" + "00000008" + "00000001" + "00000000", "hex"));
    assert.throws(() => zeroDelta.next(), (e: unknown) => e instanceof SpdyProtocolError && e.streamId === 1);
  });
});
