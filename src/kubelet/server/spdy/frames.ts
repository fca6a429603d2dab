/**
 * SPDY/3 frames (draft 3; 3.1 adds only the session's WINDOW_UPDATE on
 * stream 0) to and from bytes. Header blocks stay compressed here: their
 * zlib context belongs to the session (see header-block.ts), so this module
 * is pure and synchronous.
 *
 * Every frame has an 8-byte header. A control frame: bit 1, version (15 bits),
 * type (16), flags (8), length (24). A data frame: bit 0, stream id (31),
 * flags (8), length (24).
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9,
} as const;

/** FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS; UNIDIRECTIONAL on SYN_STREAM only. */
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const FLAG_SETTINGS_CLEAR = 0x01;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1, invalidStream: 2, refusedStream: 3, unsupportedVersion: 4, cancel: 5, internalError: 6,
  flowControlError: 7, streamInUse: 8, streamAlreadyClosed: 9, frameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

/** The largest payload a frame's 24-bit length can say. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** The largest window (and window delta) SPDY allows. */
export const MAX_WINDOW = 0x7fffffff;

export interface SettingsEntry { id: number; flags: number; value: number }

export type Frame =
  | { type: "data"; streamId: number; fin: boolean; data: Buffer }
  | { type: "synStream"; streamId: number; associatedStreamId: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { type: "synReply"; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: "headers"; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: "rstStream"; streamId: number; status: number }
  | { type: "settings"; clear: boolean; entries: SettingsEntry[] }
  | { type: "ping"; id: number }
  | { type: "goAway"; lastGoodStreamId: number; status: number }
  | { type: "windowUpdate"; streamId: number; delta: number }
  /** A control frame of a type this side does not know: the draft says to ignore it. */
  | { type: "unknown"; frameType: number };

/** A frame that breaks the protocol: the session answers with GOAWAY, or RST_STREAM when streamId is set. */
export class SpdyProtocolError extends Error {
  constructor(message: string, readonly streamId?: number, readonly status: number = RstStatus.protocolError) {
    super(message);
    this.name = "SpdyProtocolError";
  }
}

function header(control: boolean, word: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`a SPDY frame carries at most ${MAX_FRAME_PAYLOAD} bytes, not ${length}`);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(control ? (0x80000000 | (SPDY_VERSION << 16) | word) >>> 0 : word & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
  return h;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([header(true, type, flags, payload.length), payload]);
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case "data":
      return Buffer.concat([header(false, frame.streamId, frame.fin ? FLAG_FIN : 0, frame.data.length), frame.data]);
    case "synStream": {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(frame.associatedStreamId & 0x7fffffff, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(FrameType.synStream, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case "synReply":
    case "headers":
      return control(frame.type === "synReply" ? FrameType.synReply : FrameType.headers, frame.fin ? FLAG_FIN : 0,
        Buffer.concat([words(frame.streamId & 0x7fffffff), frame.headerBlock]));
    case "rstStream":
      return control(FrameType.rstStream, 0, words(frame.streamId & 0x7fffffff, frame.status));
    case "settings": {
      const body = Buffer.alloc(4 + frame.entries.length * 8);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return control(FrameType.settings, frame.clear ? FLAG_SETTINGS_CLEAR : 0, body);
    }
    case "ping":
      return control(FrameType.ping, 0, words(frame.id));
    case "goAway":
      return control(FrameType.goAway, 0, words(frame.lastGoodStreamId & 0x7fffffff, frame.status));
    case "windowUpdate":
      return control(FrameType.windowUpdate, 0, words(frame.streamId & 0x7fffffff, frame.delta & 0x7fffffff));
    case "unknown":
      throw new TypeError("an unknown frame cannot be encoded");
  }
}

function expectLength(name: string, payload: Buffer, length: number, streamId?: number): void {
  if (payload.length !== length) throw new SpdyProtocolError(`${name} frame of ${payload.length} bytes, not ${length}`, streamId);
}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.synStream:
      if (p.length < 10) throw new SpdyProtocolError(`SYN_STREAM frame of ${p.length} bytes`);
      return {
        type: "synStream", streamId: p.readUInt32BE(0) & 0x7fffffff, associatedStreamId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p.readUInt8(8) >> 5, fin, unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0, headerBlock: p.subarray(10),
      };
    case FrameType.synReply:
    case FrameType.headers:
      if (p.length < 4) throw new SpdyProtocolError(`${type === FrameType.synReply ? "SYN_REPLY" : "HEADERS"} frame of ${p.length} bytes`);
      return { type: type === FrameType.synReply ? "synReply" : "headers", streamId: p.readUInt32BE(0) & 0x7fffffff, fin, headerBlock: p.subarray(4) };
    case FrameType.rstStream:
      expectLength("RST_STREAM", p, 8);
      return { type: "rstStream", streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case FrameType.settings: {
      if (p.length < 4) throw new SpdyProtocolError(`SETTINGS frame of ${p.length} bytes`);
      const count = p.readUInt32BE(0);
      expectLength("SETTINGS", p, 4 + count * 8);
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const idWord = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: idWord >>> 24, id: idWord & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: "settings", clear: (flags & FLAG_SETTINGS_CLEAR) !== 0, entries };
    }
    case FrameType.ping:
      expectLength("PING", p, 4);
      return { type: "ping", id: p.readUInt32BE(0) };
    case FrameType.goAway:
      // SPDY/2's GOAWAY had no status; a 4-byte one is read as OK.
      if (p.length !== 8 && p.length !== 4) throw new SpdyProtocolError(`GOAWAY frame of ${p.length} bytes`);
      return { type: "goAway", lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length === 8 ? p.readUInt32BE(4) : GoAwayStatus.ok };
    case FrameType.windowUpdate: {
      expectLength("WINDOW_UPDATE", p, 8);
      const streamId = p.readUInt32BE(0) & 0x7fffffff;
      const delta = p.readUInt32BE(4) & 0x7fffffff;
      if (delta === 0) throw new SpdyProtocolError("WINDOW_UPDATE with a delta of 0", streamId || undefined);
      return { type: "windowUpdate", streamId, delta };
    }
    default:
      return { type: "unknown", frameType: type };
  }
}

/**
 * Cuts a byte stream into frames. push() the bytes as they come, then take
 * frames with next() until it answers undefined (the rest of a frame is still
 * to come).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    if (!chunk.length) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received but not yet taken as frames. */
  get pending(): number {
    return this.buffered;
  }

  next(): Frame | undefined {
    if (this.buffered < 8) return undefined;
    const head = this.peek(8);
    const length = head.readUInt32BE(4) & 0xffffff;
    if (this.buffered < 8 + length) return undefined;
    const frame = this.take(8 + length);
    const first = frame.readUInt32BE(0);
    const flags = frame.readUInt8(4);
    const payload = frame.subarray(8);
    if (first & 0x80000000) {
      const version = (first >>> 16) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`SPDY version ${version} is not spoken here (only ${SPDY_VERSION})`, undefined, RstStatus.unsupportedVersion);
      return decodeControl(first & 0xffff, flags, payload);
    }
    return { type: "data", streamId: first & 0x7fffffff, fin: (flags & FLAG_FIN) !== 0, data: payload };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
