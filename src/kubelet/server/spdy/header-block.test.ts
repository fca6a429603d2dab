import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.js";
import { SpdyProtocolError } from "./frames.js";
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock } from "./header-block.js";

describe("SPDY/3 header blocks", () => {
  it("writes a count, then each name and value after its length, names in lowercase", () => {
    const block = encodeHeaderBlock({ streamType: "error", Port: "80" });
    assert.equal(block.toString("hex"),
      "00000002" + "0000000a" + Buffer.from("streamtype").toString("hex") + "00000005" + Buffer.from("error").toString("hex")
      + "00000004" + Buffer.from("port").toString("hex") + "00000002" + Buffer.from("80").toString("hex"));
    assert.deepEqual(decodeHeaderBlock(block), { streamtype: "error", port: "80" });
  });

  it("reads several values of one name (joined by NUL) as one", () => {
    const block = Buffer.concat([Buffer.from("00000001000000017800000003", "hex"), Buffer.from("a\0b")]);
    assert.deepEqual(decodeHeaderBlock(block), { x: "a, b" });
  });

  it("refuses a truncated block or one with bytes after it", () => {
    const block = encodeHeaderBlock({ a: "b" });
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1), 3), (e: unknown) => e instanceof SpdyProtocolError && e.streamId === 3);
    assert.throws(() => decodeHeaderBlock(Buffer.concat([block, Buffer.from([0])])), SpdyProtocolError);
  });

  it("has SPDY/3's dictionary, whose Adler-32 zlib names in the stream header", async () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    const first = await new HeaderCompressor().compress({ streamtype: "data" });
    // CMF, FLG with FDICT set, then DICTID.
    assert.equal(first[1]! & 0x20, 0x20);
    assert.equal(first.subarray(2, 6).toString("hex"), "e3c6a7c2");
    assert.deepEqual(decodeHeaderBlock(inflateSync(first, { dictionary: SPDY3_DICTIONARY, finishFlush: 2 })), { streamtype: "data" });
  });

  it("keeps one compression context for a session's blocks, each readable as it comes", async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const blocks = [
      { streamtype: "error", port: "8080", requestid: "0" },
      { streamtype: "data", port: "8080", requestid: "0" },
      { streamtype: "data", port: "8080", requestid: "1" },
    ];
    const compressed = await Promise.all(blocks.map((b) => compressor.compress(b)));
    // Later blocks lean on the earlier ones in the shared context.
    assert.ok(compressed[2]!.length < compressed[0]!.length, `${compressed[2]!.length} < ${compressed[0]!.length}`);
    for (let i = 0; i < blocks.length; i++) assert.deepEqual(await decompressor.decompress(compressed[i]!), blocks[i]);
  });

  it("refuses a block that does not inflate, and stays refused", async () => {
    const decompressor = new HeaderDecompressor();
    await assert.rejects(decompressor.decompress(Buffer.from("not zlib at all")), SpdyProtocolError);
    const good = await new HeaderCompressor().compress({ a: "b" });
    await assert.rejects(decompressor.decompress(good), SpdyProtocolError);
  });
});
