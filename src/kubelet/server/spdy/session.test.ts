import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Duplex } from "node:stream";
import { describe, it } from "node:test";
import { FrameReader, RstStatus, encodeFrame, type Frame } from "./frames.js";
import { SpdySession, type SpdySessionOptions, type SpdyStream } from "./session.js";

/** Two connected in-memory byte streams, with the frames each side wrote. */
function connection() {
  const written: Record<"client" | "server", Frame[]> = { client: [], server: [] };
  const readers = { client: new FrameReader(), server: new FrameReader() };
  const ends = {} as Record<"client" | "server", Duplex>;
  const make = (side: "client" | "server", other: "client" | "server") => new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      readers[side].push(chunk);
      try {
        for (let f; (f = readers[side].next());) written[side].push(f);
      } catch {
        // A test's broken frame: the session under test is the one to judge it.
      }
      ends[other].push(chunk);
      callback();
    },
    final(callback) { ends[other].push(null); callback(); },
  });
  ends.client = make("client", "server");
  ends.server = make("server", "client");
  return { ...ends, written };
}

function pair(options: Partial<Record<"client" | "server", Partial<SpdySessionOptions>>> = {}, flowControl = true) {
  const c = connection();
  const client = new SpdySession(c.client, { isServer: false, flowControl, ...options.client });
  const server = new SpdySession(c.server, { isServer: true, flowControl, ...options.server });
  return { client, server, written: c.written, sockets: c };
}

/** Accepts every stream the server gets, and hands them out in order. */
function acceptAll(server: SpdySession, reply: Record<string, string> = {}) {
  const got: SpdyStream[] = [];
  const waiting: Array<(s: SpdyStream) => void> = [];
  server.on("stream", (s: SpdyStream) => {
    s.accept(reply);
    const w = waiting.shift();
    if (w) w(s); else got.push(s);
  });
  return () => new Promise<SpdyStream>((resolve) => { const s = got.shift(); if (s) resolve(s); else waiting.push(resolve); });
}

/** Reads to the stream's end without destroying it (for-await would, and with it the other half). */
function readAll(stream: SpdyStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.resume();
  });
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe("SPDY/3.1 sessions", () => {
  it("opens a stream with headers, answered with the reply's headers, and carries data both ways to each side's FIN", async () => {
    const { client, server } = pair();
    const next = acceptAll(server, { answer: "yes" });
    const opened = client.open({ streamtype: "stdin", port: "80" });
    const remote = await next();
    const local = await opened;
    assert.deepEqual(remote.headers, { streamtype: "stdin", port: "80" });
    assert.equal(remote.id, 1);
    assert.deepEqual(local.replyHeaders, { answer: "yes" });
    const closed = Promise.all([once(local, "close"), once(remote, "close")]);
    local.end("to the server");
    assert.equal((await readAll(remote)).toString(), "to the server");
    // A half-closed stream still carries the other way.
    remote.end("to the client");
    assert.equal((await readAll(local)).toString(), "to the client");
    await closed;
  });

  it("numbers the client's streams odd and the server's even, and lets the server open streams too", async () => {
    const { client, server } = pair();
    acceptAll(server);
    const clientNext = acceptAll(client);
    const a = await client.open({ n: "1" });
    const b = await client.open({ n: "2" });
    const fromServer = server.open({ n: "3" });
    const atClient = await clientNext();
    assert.deepEqual([a.id, b.id, (await fromServer).id, atClient.id], [1, 3, 2, 2]);
  });

  it("keeps streams apart: several at once, interleaved", async () => {
    const { client, server } = pair();
    const next = acceptAll(server);
    const payloads = [randomBytes(100_000), randomBytes(50_000), randomBytes(3)];
    const locals = await Promise.all(payloads.map((_, i) => client.open({ i: String(i) })));
    const remotes = await Promise.all(payloads.map(() => next()));
    locals.forEach((s, i) => s.end(payloads[i]));
    const got = await Promise.all(remotes.map(readAll));
    for (const r of remotes) assert.ok(got[Number(r.headers.i)]!.equals(payloads[Number(r.headers.i)]!));
  });

  it("keeps to the peer's window and reopens it with WINDOW_UPDATE as the reader takes data", async () => {
    const { client, server, written } = pair();
    const next = acceptAll(server);
    const local = await client.open({});
    const remote = await next();
    const data = randomBytes(300_000);
    local.end(data);
    await settle();
    // Nobody reads yet: the sender stopped at the 64 KiB window.
    assert.equal(remote.readableLength, 65536);
    assert.ok((await readAll(remote)).equals(data));
    const updates = written.server.filter((f) => f.type === "windowUpdate");
    assert.ok(updates.some((f) => f.type === "windowUpdate" && f.streamId === remote.id));
    assert.ok(updates.some((f) => f.type === "windowUpdate" && f.streamId === 0), "3.1's session window is credited too");
  });

  it("announces a smaller window in SETTINGS, and the peer keeps to it", async () => {
    const { client, server, written } = pair({ server: { initialWindowSize: 16384 } });
    const next = acceptAll(server);
    const local = await client.open({});
    const remote = await next();
    local.write(randomBytes(100_000));
    await settle();
    assert.equal(remote.readableLength, 16384);
    assert.ok(written.server.some((f) => f.type === "settings" && f.entries[0]!.id === 7 && f.entries[0]!.value === 16384));
  });

  it("without flow control (Kubernetes' peers) sends past 64 KiB with no WINDOW_UPDATE, and a reader behind pauses the connection", async () => {
    const { client, server, written, sockets } = pair({}, false);
    const next = acceptAll(server);
    const local = await client.open({});
    const remote = await next();
    const data = randomBytes(1_000_000);
    local.end(data);
    await settle();
    assert.equal(sockets.server.isPaused(), true);
    assert.ok((await readAll(remote)).equals(data));
    assert.equal(sockets.server.isPaused(), false);
    assert.equal([...written.client, ...written.server].filter((f) => f.type === "windowUpdate").length, 0);
  });

  it("refuses a stream with RST_STREAM: the opener's promise fails", async () => {
    const { client, server } = pair();
    server.on("stream", (s: SpdyStream) => s.reset(RstStatus.refusedStream));
    await assert.rejects(client.open({ port: "nope" }), /RST_STREAM status 3/);
  });

  it("refuses streams nobody listens for", async () => {
    const { client } = pair();
    await assert.rejects(client.open({}), /refused/);
  });

  it("ends a reset stream for its reader after the data that came before the reset", async () => {
    const { client, server } = pair();
    const next = acceptAll(server);
    const local = await client.open({});
    const remote = await next();
    remote.pause();
    const closed = once(remote, "close");
    local.write("before the reset");
    await settle();
    local.reset();
    await settle();
    assert.equal(remote.resetStatus, RstStatus.cancel);
    assert.equal((await readAll(remote)).toString(), "before the reset");
    await closed;
  });

  it("answers PING, and times its own", async () => {
    const { client, server, written } = pair();
    await client.ping();
    await server.ping();
    assert.deepEqual(written.client.filter((f) => f.type === "ping").map((f) => f.type === "ping" && f.id), [1, 2]);
    assert.deepEqual(written.server.filter((f) => f.type === "ping").map((f) => f.type === "ping" && f.id), [1, 2]);
  });

  it("says GOAWAY on close: the peer opens no more streams and both sessions end", async () => {
    const { client, server, written } = pair();
    const next = acceptAll(server);
    await client.open({});
    await next();
    const gone = once(client, "goaway");
    server.close();
    assert.deepEqual(await gone, [0]);
    await Promise.all([once(client, "close"), once(server, "close")]);
    assert.ok(written.server.some((f) => f.type === "goAway" && f.lastGoodStreamId === 1));
    await assert.rejects(client.open({}), /closed/);
  });

  it("ends the session with GOAWAY PROTOCOL_ERROR on frames it cannot read", async () => {
    const c = connection();
    const server = new SpdySession(c.server, { isServer: true, flowControl: false });
    const failed = once(server, "error");
    c.client.write(encodeFrame({ type: "ping", id: 1 }).fill(0x82, 0, 1));
    const [err] = await failed;
    assert.match((err as Error).message, /version/);
    await settle();
    assert.ok(c.written.server.some((f) => f.type === "goAway" && f.status === 1));
  });

  it("resets a stream whose peer sends past its window", async () => {
    const { client, server, written, sockets } = pair();
    const next = acceptAll(server);
    const local = await client.open({});
    const remote = await next();
    remote.pause();
    // 70,000 bytes straight past the session's accounting, as a peer without flow control would send them.
    sockets.client.write(encodeFrame({ type: "data", streamId: local.id, fin: false, data: Buffer.alloc(40_000) }));
    sockets.client.write(encodeFrame({ type: "data", streamId: local.id, fin: false, data: Buffer.alloc(30_000) }));
    await settle();
    assert.ok(written.server.some((f) => f.type === "rstStream" && f.streamId === local.id && f.status === RstStatus.flowControlError));
  });
});
