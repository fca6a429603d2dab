/**
 * Exec, attach and port-forward sessions relayed to the runtime's streaming
 * server (containerd's), the way upstream's kubelet proxies them: SPDY/3.1
 * to the runtime, whatever the client spoke to the kubelet. SPDY carries
 * what v4's WebSocket channels cannot: closing stdin (the stream's FIN), so
 * `kubectl exec -i` of a command that reads to the end of its input ends;
 * and port-forward through the runtime reaches servers bound to the pod's
 * own loopback, since the runtime dials from inside the pod's network.
 */
import { WebSocket } from "ws";
import { CLOSE_CHANNEL, channelCodec, sendChannel, type ExecStatus } from "../../api/exec-streams.js";
import type { ExecProcess } from "../kuberuntime/runtime.js";
import type { SpdyRemoteCommand } from "./remote-command-spdy.js";
import type { SpdySession, SpdyStream } from "./spdy/session.js";
import { dialSpdy, openStream } from "./spdy-upgrade.js";

export interface ExecStreams { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

export interface RuntimeExec {
  session: SpdySession;
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

/** Opens the session and its streams (remotecommand v4: error, then stdin, stdout, stderr, resize as asked). */
export async function openRuntimeExec(url: string, s: ExecStreams): Promise<RuntimeExec> {
  const session = await dialSpdy(url, "v4.channel.k8s.io");
  const open = (type: string, wanted: boolean) => (wanted ? openStream(session, { streamtype: type }) : Promise.resolve(undefined));
  try {
    const [error, stdin, stdout, stderr, resize] = await Promise.all([
      open("error", true), open("stdin", s.stdin), open("stdout", s.stdout), open("stderr", s.stderr && !s.tty), open("resize", s.tty),
    ]);
    return { session, error: error!, stdin, stdout, stderr, resize };
  } catch (err) {
    session.close();
    throw err;
  }
}

/** How long the output may still drain once the runtime has reported how the process ended. */
const DRAIN_MS = 1000;

/**
 * Relays a client's channel frames (0 stdin, 4 resize, and v5's 255 close
 * signal) to the runtime's streams, and its stdout, stderr and final status
 * back as channels 1, 2 and 3, until the runtime ends the session.
 */
export function relayToRuntime(client: WebSocket, rt: RuntimeExec): void {
  const codec = channelCodec(client.protocol);
  client.on("message", (data: Buffer, isBinary: boolean) => {
    const m = codec.decode(data, isBinary);
    if (m?.channel === 0) rt.stdin?.write(m.payload);
    else if (m?.channel === 4) rt.resize?.write(m.payload);
    else if (m?.channel === CLOSE_CHANNEL && codec.closeSignal && m.payload[0] === 0) rt.stdin?.end();
  });
  const send = (channel: number, chunk: Buffer) => sendChannel(client, codec, channel, chunk);
  const ended = (stream: SpdyStream | undefined) => new Promise<void>((resolve) => {
    if (!stream) return resolve();
    stream.once("end", () => resolve());
    stream.once("close", () => resolve());
    stream.once("error", () => resolve());
  });
  rt.stdout?.on("data", (d: Buffer) => send(1, d));
  rt.stderr?.on("data", (d: Buffer) => send(2, d));
  const status: Buffer[] = [];
  rt.error.on("data", (d: Buffer) => status.push(d));
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    // The runtime speaks v4 (a Status in JSON); the client gets it in its own protocol's form.
    const message = status.length ? runtimeStatus(Buffer.concat(status)) : undefined;
    const framed = message && codec.status(message);
    if (framed) send(3, framed);
    if (client.readyState === WebSocket.OPEN) client.close(1000);
    rt.session.close();
  };
  const output = Promise.all([ended(rt.stdout), ended(rt.stderr)]);
  void ended(rt.error).then(() => Promise.race([output, new Promise((r) => setTimeout(r, DRAIN_MS))])).then(finish);
  rt.session.on("close", finish);
  client.once("close", () => { finished = true; rt.session.close(); });
  client.once("error", () => { finished = true; rt.session.close(); });
  // A stream reset by either side ends the session (above); it must not take the kubelet down.
  for (const s of [rt.stdin, rt.resize, rt.stdout, rt.stderr, rt.error]) s?.on("error", () => undefined);
  // stdin and resize are only written to; their read side must flow for their end to come.
  for (const s of [rt.stdin, rt.resize]) s?.resume();
}

/**
 * One forwarded connection through the runtime (portforward.k8s.io): an
 * error and a data stream naming the port, in a session of its own, since
 * each CRI PortForward URL serves one session.
 */
export async function openRuntimePortForward(url: string, port: number): Promise<{ session: SpdySession; data: SpdyStream; error: SpdyStream }> {
  const session = await dialSpdy(url, "portforward.k8s.io");
  try {
    const headers = (type: string) => ({ streamtype: type, port: String(port), requestid: "0" });
    const error = await openStream(session, headers("error"));
    const data = await openStream(session, headers("data"));
    return { session, data, error };
  } catch (err) {
    session.close();
    throw err;
  }
}

/** The runtime's v4 status; a status that is not JSON is taken as a failure's message. */
function runtimeStatus(raw: Buffer): ExecStatus {
  try {
    return JSON.parse(raw.toString()) as ExecStatus;
  } catch {
    return { metadata: {}, status: "Failure", message: raw.toString() };
  }
}

/** The final status of an exec session, as upstream's kubelet writes it on channel 3. */
export function execStatus(exitCode: number, cmd: string[]): ExecStatus {
  if (exitCode === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {}, status: "Failure", reason: "NonZeroExitCode",
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(" ")}], exit code ${exitCode}`,
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

/** Relays a client's channels to a command the kubelet runs itself (the process runtime's exec). */
export function relayToProcess(client: WebSocket, proc: ExecProcess, cmd: string[]): void {
  const codec = channelCodec(client.protocol);
  const send = (channel: number, chunk: Buffer) => sendChannel(client, codec, channel, chunk);
  const sendStatus = (status: ExecStatus) => { const framed = codec.status(status); if (framed) send(3, framed); };
  client.on("message", (data: Buffer, isBinary: boolean) => {
    const m = codec.decode(data, isBinary);
    if (m?.channel === 0) proc.stdin?.write(m.payload);
    else if (m?.channel === CLOSE_CHANNEL && codec.closeSignal && m.payload[0] === 0) proc.stdin?.end();
  });
  proc.stdout.on("data", (d: Buffer) => send(1, d));
  proc.stderr.on("data", (d: Buffer) => send(2, d));
  const drained = Promise.all([proc.stdout, proc.stderr].map((s) => new Promise<void>((r) => { s.once("end", () => r()); s.once("close", () => r()); })));
  proc.exited.then(
    async (code) => { await drained; sendStatus(execStatus(code, cmd)); },
    (err: Error) => sendStatus(execFailure(err)),
  ).finally(() => { if (client.readyState === WebSocket.OPEN) client.close(1000); });
  client.once("close", () => proc.kill());
}

/** The status of an exec whose command could not run, as upstream's kubelet reports it. */
function execFailure(err: Error): ExecStatus {
  return { metadata: {}, status: "Failure", reason: "InternalError", code: 500, message: `Internal error occurred: error executing command in container: ${err.message}` };
}

/**
 * Relays a SPDY remotecommand session to a command the kubelet runs itself:
 * stdin's FIN closes the command's input; its output goes out whole before
 * the status.
 */
export function relaySpdyToProcess(session: SpdyRemoteCommand, proc: ExecProcess, cmd: string[]): void {
  if (session.stdin && proc.stdin) {
    const stdin = proc.stdin;
    stdin.on("error", () => undefined);
    session.stdin.pipe(stdin);
  } else {
    session.stdin?.resume();
  }
  const copy = (from: NodeJS.ReadableStream, to: SpdyStream | undefined) => new Promise<void>((resolve) => {
    from.on("data", (d: Buffer) => to?.write(d));
    from.once("end", () => resolve());
    from.once("close", () => resolve());
  });
  const drained = Promise.all([copy(proc.stdout, session.stdout), copy(proc.stderr, session.stderr)]);
  proc.exited.then(
    async (code) => { await drained; session.finish(execStatus(code, cmd)); },
    (err: Error) => session.finish(execFailure(err)),
  );
  session.closed.then(() => proc.kill());
}
