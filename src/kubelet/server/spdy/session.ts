/**
 * A SPDY/3.1 session over a byte stream: streams opened by either side
 * (SYN_STREAM, answered by SYN_REPLY), their data both ways with half-close
 * (FIN), resets (RST_STREAM), PING, SETTINGS, GOAWAY, and flow control
 * (WINDOW_UPDATE per stream and, as 3.1 adds, for the whole session).
 *
 * Flow control is the peer's choice to make known here: Kubernetes' peers
 * (Go's spdystream, in kubectl, client-go, the kubelet and containerd's
 * streaming server) neither send WINDOW_UPDATE nor keep to a window, so a
 * session with one must run with `flowControl: false`: then nothing waits for
 * a window, no window is enforced, and a stream whose reader falls behind
 * pauses the socket instead (all streams wait, as in spdystream).
 *
 * Contract of a stream: 'end' comes after the peer's FIN (or the data that
 * came before a reset or the session's end); 'close' comes at the end of
 * every stream, however it ended, and is the one to clean up on.
 */
import { EventEmitter } from "node:events";
import { Duplex } from "node:stream";
import {
  FrameReader, GoAwayStatus, MAX_WINDOW, RstStatus, SETTINGS_INITIAL_WINDOW_SIZE, SpdyProtocolError,
  encodeFrame, type Frame,
} from "./frames.js";
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from "./header-block.js";

export type { SpdyHeaders } from "./header-block.js";

/** SPDY/3's initial window, for each stream and (3.1) for the session. */
export const DEFAULT_WINDOW = 65536;
/** DATA frames are cut to this size: small enough to interleave streams, large enough to be cheap. */
const DATA_CHUNK = 16384;

export interface SpdySessionOptions {
  /** The server's streams have even ids, the client's odd ones. */
  isServer: boolean;
  /** Whether the peer keeps SPDY/3.1's flow control (see the module comment): false with Kubernetes' peers. */
  flowControl: boolean;
  /** This side's window for each stream, announced in SETTINGS when it differs from 64 KiB. */
  initialWindowSize?: number;
}

export class SpdyStream extends Duplex {
  /** The headers of its SYN_STREAM, whichever side sent it. */
  readonly headers: SpdyHeaders;
  /** The headers of its SYN_REPLY, for a stream this side opened, once answered. */
  replyHeaders?: SpdyHeaders;
  /** The RST_STREAM status that ended it, sent or received. */
  resetStatus?: number;

  /** @internal flow control and protocol state, kept by the session. */
  sendWindow: number;
  recvWindow: number;
  received = 0;
  credited = 0;
  finSent = false;
  finReceived = false;
  replied: boolean;
  private readonly replyWaiters: Array<() => void> = [];

  /** @internal streams are made by SpdySession. */
  constructor(private readonly session: SpdySession, readonly id: number, headers: SpdyHeaders, readonly local: boolean, sendWindow: number, recvWindow: number) {
    super({ allowHalfOpen: true });
    this.headers = headers;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    // A stream the peer opened takes data only after this side's SYN_REPLY; one this side opened is usable at once.
    this.replied = local;
  }

  /** Answers a stream the peer opened (SYN_REPLY); writes wait for it. */
  accept(headers: SpdyHeaders = {}): void {
    if (this.local || this.replied || this.resetStatus !== undefined) return;
    this.replied = true;
    this.session.sendReply(this, headers);
    for (const w of this.replyWaiters.splice(0)) w();
  }

  /** Ends the stream both ways at once (RST_STREAM): for refusals and aborts. */
  reset(status: number = RstStatus.cancel): void {
    this.session.resetStream(this, status);
  }

  /** @internal */
  whenReplied(): Promise<void> {
    if (this.replied) return Promise.resolve();
    return new Promise((resolve) => this.replyWaiters.push(resolve));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.session.sendData(this, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.session.sendData(this, Buffer.alloc(0), true).then(() => callback(), callback);
  }

  override _read(): void {
    this.session.consumed(this);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.session.streamDestroyed(this);
    for (const w of this.replyWaiters.splice(0)) w();
    callback(err);
  }
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly flowControl: boolean;
  private readonly ourWindow: number;
  /** The window the peer gives each new stream (its SETTINGS can change it). */
  private peerWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUncredited = 0;
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private readonly pings = new Map<number, Waiter>();
  private readonly windowWaiters = new Set<Waiter>();
  private readonly pendingOpens = new Map<number, Waiter>();
  /** Streams whose readers are behind: while any is, the socket is paused (without flow control). */
  private readonly behind = new Set<SpdyStream>();
  private writeChain: Promise<void> = Promise.resolve();
  private pumping = false;
  private goAwaySent = false;
  private goAwayReceived = false;
  private closed = false;

  constructor(private readonly socket: Duplex, options: SpdySessionOptions) {
    super();
    this.flowControl = options.flowControl;
    this.ourWindow = options.initialWindowSize ?? DEFAULT_WINDOW;
    this.nextStreamId = options.isServer ? 2 : 1;
    this.nextPingId = options.isServer ? 2 : 1;
    socket.on("data", (chunk: Buffer) => {
      this.reader.push(chunk);
      void this.pump();
    });
    socket.on("end", () => this.teardown());
    socket.on("close", () => this.teardown());
    socket.on("error", (err: Error) => this.teardown(err));
    if (this.flowControl && this.ourWindow !== DEFAULT_WINDOW) {
      void this.send({ type: "settings", clear: false, entries: [{ id: SETTINGS_INITIAL_WINDOW_SIZE, flags: 0, value: this.ourWindow }] });
    }
  }

  /** Whether the session has ended (GOAWAY either way, or the connection's end). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream (SYN_STREAM) and resolves once the peer has answered it (SYN_REPLY). */
  open(headers: SpdyHeaders, options: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.closed || this.goAwaySent || this.goAwayReceived) return Promise.reject(new Error("the SPDY session is closed"));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, true, this.peerWindow, this.ourWindow);
    this.streams.set(id, stream);
    if (options.fin) {
      stream.finSent = true;
      stream.end();
    }
    const answered = new Promise<SpdyStream>((resolve, reject) => this.pendingOpens.set(id, { resolve: () => resolve(stream), reject }));
    void this.send(async () => ({ type: "synStream", streamId: id, associatedStreamId: 0, priority: 0, fin: !!options.fin, unidirectional: false, headerBlock: await this.compressor.compress(headers) }))
      .catch((err: Error) => this.failOpen(id, err));
    return answered;
  }

  /** Round trip of a PING. */
  ping(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the SPDY session is closed"));
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 2) % 0x100000000;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { resolve, reject });
      void this.send({ type: "ping", id }).catch(reject);
    });
  }

  /** Says GOAWAY (no new streams), then ends the connection once what is queued has been written. */
  close(): void {
    if (this.closed) return;
    if (!this.goAwaySent) {
      this.goAwaySent = true;
      void this.send({ type: "goAway", lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.ok }).catch(() => undefined);
    }
    void this.writeChain.then(() => this.socket.end());
  }

  /** Ends the connection at once. */
  destroy(err?: Error): void {
    this.socket.destroy();
    this.teardown(err);
  }

  // ---- writing

  /** Queues a frame; frames go out in the order queued (a header block's compression keeps its place). */
  private send(frame: Frame | (() => Promise<Frame>)): Promise<void> {
    let written!: (err?: Error | null) => void;
    const done = new Promise<void>((resolve, reject) => { written = (err) => (err ? reject(err) : resolve()); });
    this.writeChain = this.writeChain.then(async () => {
      try {
        const f = typeof frame === "function" ? await frame() : frame;
        if (this.socket.destroyed || this.socket.writableEnded) return written(new Error("the SPDY connection is closed"));
        this.socket.write(encodeFrame(f), (err) => written(err));
      } catch (err) {
        written(err as Error);
      }
    });
    return done;
  }

  /** @internal */
  sendReply(stream: SpdyStream, headers: SpdyHeaders): void {
    void this.send(async () => ({ type: "synReply", streamId: stream.id, fin: false, headerBlock: await this.compressor.compress(headers) }))
      .catch(() => undefined);
  }

  /**
   * @internal data (and FIN) of a stream, cut into frames and, with flow
   * control, kept within the windows. Data for a stream that was reset, or of
   * a session that ended, is dropped: the stream's 'close' tells its writer.
   */
  async sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    await stream.whenReplied();
    const gone = () => stream.resetStatus !== undefined || this.closed;
    if (gone() || (fin && stream.finSent)) return;
    let offset = 0;
    let last: Promise<void> = Promise.resolve();
    do {
      let room = DATA_CHUNK;
      if (this.flowControl && data.length) {
        while (Math.min(stream.sendWindow, this.sessionSendWindow) <= 0) {
          await this.windowOpens().catch(() => undefined);
          if (gone()) return;
        }
        room = Math.min(room, stream.sendWindow, this.sessionSendWindow);
      }
      const n = Math.min(room, data.length - offset);
      const end = fin && offset + n >= data.length;
      if (this.flowControl) {
        stream.sendWindow -= n;
        this.sessionSendWindow -= n;
      }
      last = this.send({ type: "data", streamId: stream.id, fin: end, data: data.subarray(offset, offset + n) });
      offset += n;
      if (end) this.finSent(stream);
    } while (offset < data.length);
    await last.catch(() => undefined);
  }

  private windowOpens(): Promise<void> {
    return new Promise((resolve, reject) => this.windowWaiters.add({ resolve, reject }));
  }

  private wakeWindowWaiters(): void {
    for (const w of this.windowWaiters) w.resolve();
    this.windowWaiters.clear();
  }

  private finSent(stream: SpdyStream): void {
    stream.finSent = true;
    if (stream.finReceived) this.streams.delete(stream.id);
  }

  /** @internal */
  resetStream(stream: SpdyStream, status: number): void {
    if (stream.resetStatus !== undefined) return;
    const open = this.streams.get(stream.id) === stream;
    stream.resetStatus = status;
    if (open && !this.closed) void this.send({ type: "rstStream", streamId: stream.id, status }).catch(() => undefined);
    this.endStream(stream);
  }

  // ---- reading

  /** @internal the reader has taken data: the window reopens by as much (in steps of half of it). */
  consumed(stream: SpdyStream): void {
    if (this.behind.delete(stream) && this.behind.size === 0 && !this.closed) this.socket.resume();
    if (!this.flowControl || stream.resetStatus !== undefined || stream.finReceived) return;
    const uncredited = stream.received - stream.readableLength - stream.credited;
    if (uncredited < this.ourWindow / 2) return;
    stream.credited += uncredited;
    stream.recvWindow += uncredited;
    void this.send({ type: "windowUpdate", streamId: stream.id, delta: uncredited }).catch(() => undefined);
  }

  /** @internal */
  streamDestroyed(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream && !(stream.finSent && stream.finReceived)) this.resetStream(stream, RstStatus.cancel);
    this.streams.delete(stream.id);
    this.consumed(stream);
    this.failOpen(stream.id, new Error(`SPDY stream ${stream.id} was closed before the peer answered`));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        let frame: Frame | undefined;
        try {
          frame = this.reader.next();
        } catch (err) {
          this.protocolError(err as Error);
          return;
        }
        if (!frame) return;
        try {
          await this.handle(frame);
        } catch (err) {
          if (err instanceof SpdyProtocolError && err.streamId) {
            void this.send({ type: "rstStream", streamId: err.streamId, status: err.status }).catch(() => undefined);
            const stream = this.streams.get(err.streamId);
            if (stream) { stream.resetStatus = err.status; this.endStream(stream); }
          } else {
            this.protocolError(err as Error);
            return;
          }
        }
        if (this.closed) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.type) {
      case "data": return this.onData(frame.streamId, frame.data, frame.fin);
      case "synStream": return this.onSynStream(frame);
      case "synReply": return this.onSynReply(frame.streamId, frame.fin, frame.headerBlock);
      case "headers": {
        const headers = await this.decompressor.decompress(frame.headerBlock, frame.streamId);
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        stream.emit("headers", headers);
        if (frame.fin) this.finReceived(stream);
        return;
      }
      case "rstStream": {
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        stream.resetStatus = frame.status;
        this.failOpen(stream.id, new Error(`the peer refused SPDY stream ${stream.id} (RST_STREAM status ${frame.status})`));
        this.endStream(stream);
        return;
      }
      case "settings":
        for (const e of frame.entries) {
          if (e.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
          if (e.value > MAX_WINDOW) throw new SpdyProtocolError(`an initial window of ${e.value}`);
          // 3.1: a new initial window moves every open stream's window by the difference.
          const delta = e.value - this.peerWindow;
          this.peerWindow = e.value;
          for (const s of this.streams.values()) s.sendWindow += delta;
          this.wakeWindowWaiters();
        }
        return;
      case "ping": {
        const ours = (frame.id % 2) === (this.nextPingId % 2);
        if (!ours) { void this.send(frame).catch(() => undefined); return; }
        const waiter = this.pings.get(frame.id);
        this.pings.delete(frame.id);
        waiter?.resolve();
        return;
      }
      case "goAway":
        this.goAwayReceived = true;
        // Streams this side opened after the last one the peer took were never seen: they end as refused.
        for (const s of [...this.streams.values()]) {
          if (s.local && s.id > frame.lastGoodStreamId) {
            s.resetStatus = RstStatus.refusedStream;
            this.failOpen(s.id, new Error("the peer went away before taking the stream"));
            this.endStream(s);
          }
        }
        this.emit("goaway", frame.status);
        return;
      case "windowUpdate": {
        if (frame.streamId === 0) {
          if (this.sessionSendWindow + frame.delta > MAX_WINDOW) throw new SpdyProtocolError("the session's window grew past 2^31-1");
          this.sessionSendWindow += frame.delta;
        } else {
          const stream = this.streams.get(frame.streamId);
          if (!stream) return;
          if (stream.sendWindow + frame.delta > MAX_WINDOW) throw new SpdyProtocolError(`stream ${stream.id}'s window grew past 2^31-1`, stream.id, RstStatus.flowControlError);
          stream.sendWindow += frame.delta;
        }
        this.wakeWindowWaiters();
        return;
      }
      case "unknown":
        return;
    }
  }

  private isPeerId(id: number): boolean {
    return id % 2 !== this.nextStreamId % 2;
  }

  private async onSynStream(frame: Extract<Frame, { type: "synStream" }>): Promise<void> {
    // Always inflate: the zlib context must follow every block the peer compressed.
    const headers = await this.decompressor.decompress(frame.headerBlock, frame.streamId);
    const id = frame.streamId;
    if (id === 0 || !this.isPeerId(id) || id <= this.lastPeerStreamId) throw new SpdyProtocolError(`SYN_STREAM with stream id ${id}`, id || undefined);
    this.lastPeerStreamId = id;
    if (this.goAwaySent || this.closed || this.listenerCount("stream") === 0) {
      void this.send({ type: "rstStream", streamId: id, status: RstStatus.refusedStream }).catch(() => undefined);
      return;
    }
    const stream = new SpdyStream(this, id, headers, false, this.peerWindow, this.ourWindow);
    this.streams.set(id, stream);
    if (frame.unidirectional) {
      // The peer sends and this side must not: its half is closed from the start.
      stream.replied = true;
      stream.finSent = true;
      stream.end();
    }
    if (frame.fin) this.finReceived(stream);
    this.emit("stream", stream);
  }

  private async onSynReply(id: number, fin: boolean, block: Buffer): Promise<void> {
    const headers = await this.decompressor.decompress(block, id);
    const stream = this.streams.get(id);
    if (!stream || !stream.local) return;
    if (stream.replyHeaders) throw new SpdyProtocolError(`a second SYN_REPLY for stream ${id}`, id, RstStatus.streamInUse);
    stream.replyHeaders = headers;
    const waiter = this.pendingOpens.get(id);
    this.pendingOpens.delete(id);
    waiter?.resolve();
    if (fin) this.finReceived(stream);
  }

  private onData(id: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    if (!stream) {
      // Data for a stream that has ended is late, not wrong; for one never opened it is.
      const opened = this.isPeerId(id) ? id <= this.lastPeerStreamId : id < this.nextStreamId;
      if (!opened) throw new SpdyProtocolError(`DATA for stream ${id}, which was never opened`, id, RstStatus.invalidStream);
      return;
    }
    if (stream.finReceived) throw new SpdyProtocolError(`DATA for stream ${id} after its FIN`, id, RstStatus.streamAlreadyClosed);
    if (this.flowControl && data.length) {
      stream.recvWindow -= data.length;
      if (stream.recvWindow < 0) throw new SpdyProtocolError(`stream ${id} sent past its window`, id, RstStatus.flowControlError);
      this.sessionUncredited += data.length;
      if (this.sessionUncredited > this.ourWindow) throw new SpdyProtocolError("the peer sent past the session's window");
      // The session's window reopens as data arrives; each stream's own window bounds what waits unread.
      if (this.sessionUncredited >= DEFAULT_WINDOW / 2) {
        void this.send({ type: "windowUpdate", streamId: 0, delta: this.sessionUncredited }).catch(() => undefined);
        this.sessionUncredited = 0;
      }
    }
    if (data.length) {
      stream.received += data.length;
      if (!stream.destroyed && !stream.push(data) && !this.flowControl) {
        this.behind.add(stream);
        this.socket.pause();
      }
    }
    if (fin) this.finReceived(stream);
  }

  private finReceived(stream: SpdyStream): void {
    if (stream.finReceived) return;
    stream.finReceived = true;
    if (!stream.destroyed) stream.push(null);
    if (stream.finSent) this.streams.delete(stream.id);
  }

  /** A stream ended by a reset or the session's end: readers still get what came, writers stop. */
  private endStream(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.behind.delete(stream);
    if (stream.destroyed) return;
    if (!stream.finReceived) {
      stream.finReceived = true;
      stream.push(null);
    }
    if (stream.readableLength === 0) stream.destroy();
    else stream.once("end", () => stream.destroy());
    if (this.behind.size === 0 && !this.closed) this.socket.resume();
  }

  private failOpen(id: number, err: Error): void {
    const waiter = this.pendingOpens.get(id);
    this.pendingOpens.delete(id);
    waiter?.reject(err);
  }

  private protocolError(err: Error): void {
    if (!this.goAwaySent && !this.closed) {
      this.goAwaySent = true;
      void this.send({ type: "goAway", lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.protocolError }).catch(() => undefined);
      void this.writeChain.then(() => this.socket.end());
    }
    this.teardown(err);
  }

  private teardown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    const gone = err ?? new Error("the SPDY session is closed");
    for (const s of [...this.streams.values()]) this.endStream(s);
    for (const [id] of this.pendingOpens) this.failOpen(id, gone);
    for (const p of this.pings.values()) p.reject(gone);
    this.pings.clear();
    for (const w of this.windowWaiters) w.reject(gone);
    this.windowWaiters.clear();
    this.compressor.close();
    this.decompressor.close();
    // The peer's end (or an error) ends this side's too, once what is queued has gone out.
    if (!this.socket.writableEnded && !this.socket.destroyed) void this.writeChain.then(() => this.socket.end());
    if (err && this.listenerCount("error") > 0) this.emit("error", err);
    this.emit("close");
  }
}

export { RstStatus };
