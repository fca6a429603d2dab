/**
 * SPDY/3 name/value header blocks: a count, then each name and value after
 * its length (four bytes big-endian each); several values of one name are
 * joined by NUL. Blocks are compressed with zlib against the SPDY/3
 * dictionary, one zlib stream per direction for the whole session, each block
 * ending in a sync flush so that the other side can read it at once.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./dictionary.js";
import { SpdyProtocolError } from "./frames.js";

export type SpdyHeaders = Record<string, string>;

/** A header block larger than this once inflated is refused (a compression bomb, not headers). */
const MAX_INFLATED_BLOCK = 1024 * 1024;

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    // Names are lowercase on the wire; Go's spdystream treats any other name as a broken frame and drops the session.
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(value, "utf8");
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer, streamId?: number): SpdyHeaders {
  const fail = (why: string): never => { throw new SpdyProtocolError(`broken header block: ${why}`, streamId); };
  let at = 0;
  const read = (): Buffer => {
    if (at + 4 > block.length) fail("truncated");
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) fail("truncated");
    const out = block.subarray(at, at + length);
    at += length;
    return out;
  };
  if (block.length < 4) fail("truncated");
  const count = block.readUInt32BE(0);
  at = 4;
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = read().toString("utf8");
    const value = read().toString("utf8");
    if (!name) fail("an empty name");
    const key = name.toLowerCase();
    const values = value.split("\0").join(", ");
    headers[key] = headers[key] === undefined ? values : `${headers[key]}, ${values}`;
  }
  if (at !== block.length) fail("bytes after the last header");
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Runs one zlib stream a block at a time: write, sync-flush, collect what came out. */
abstract class BlockCodec<Z extends Deflate | Inflate> {
  private chain: Promise<unknown> = Promise.resolve();
  /** Where the block under way collects its output (flowing mode: each chunk arrives before the flush's callback). */
  private sink: { chunks: Buffer[]; size: number; fail: (err: Error) => void } | undefined;
  /** A zlib stream that failed once is out of step with the peer's for good. */
  private failure: Error | undefined;

  protected constructor(protected readonly zlib: Z, private readonly limit: number) {
    // A failed zlib stream calls no flush callback: the block under way fails here instead.
    zlib.on("error", (err: Error) => {
      this.failure ??= err;
      this.sink?.fail(err);
    });
    zlib.on("data", (c: Buffer) => {
      if (!this.sink) return;
      this.sink.chunks.push(c);
      this.sink.size += c.length;
    });
  }

  protected run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(() => new Promise<Buffer>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const sink = (this.sink = { chunks: [], size: 0, fail: reject });
      this.zlib.write(input);
      this.zlib.flush(constants.Z_SYNC_FLUSH, () => {
        this.sink = undefined;
        if (this.failure) reject(this.failure);
        else if (sink.size > this.limit) reject((this.failure = new Error(`a header block of more than ${this.limit} bytes`)));
        else resolve(Buffer.concat(sink.chunks));
      });
    }));
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.zlib.close();
  }
}

/** This side's compression context: one per session. */
export class HeaderCompressor extends BlockCodec<Deflate> {
  constructor() {
    super(createDeflate({ dictionary: SPDY3_DICTIONARY }), Number.MAX_SAFE_INTEGER);
  }

  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.run(encodeHeaderBlock(headers));
  }
}

/** The peer's compression context, mirrored: one per session. */
export class HeaderDecompressor extends BlockCodec<Inflate> {
  constructor() {
    super(createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_INFLATED_BLOCK);
  }

  async decompress(block: Buffer, streamId?: number): Promise<SpdyHeaders> {
    let raw: Buffer;
    try {
      raw = await this.run(block);
    } catch (err) {
      throw new SpdyProtocolError(`header block does not inflate: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(raw, streamId);
  }
}
