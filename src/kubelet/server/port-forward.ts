/**
 * Port forwarding (portforward.k8s.io): a SPDY/3.1 session, reached as a plain
 * SPDY upgrade (kubectl without WebSockets, older clients) or tunnelled in
 * WebSocket binary messages under the subprotocol `SPDY/3.1+portforward.k8s.io`
 * (kubectl v1.32, KUBECTL-API-NOTES f.2). Each forwarded connection is a pair
 * of streams sharing a `requestid` and naming the pod's `port`:
 * `streamtype: error` and `streamtype: data`; one session carries any number
 * of them, to any ports. The data stream is spliced with a connection into the
 * pod: through the runtime's own port forwarding where it has one (containerd
 * dials from inside the pod's network namespace, so servers on the pod's
 * loopback are reached, as upstream), else to the pod's address; a failure is
 * written to the error stream.
 */
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { SpdySession, SpdyStream } from "./spdy/session.js";

export const PORT_FORWARD_SPDY_PROTOCOL = "portforward.k8s.io";

/** A forwarded connection's far end: the stream, and what went wrong if it ended early. */
export type PortDialer = (port: number) => Promise<{ stream: Duplex; failure: () => string }>;

/** Dials the pod's address (the process runtime's pods, or when the runtime cannot forward). */
export function dialAddress(podIP: string): PortDialer {
  return (port) => new Promise((resolve, reject) => {
    const socket = connect(port, podIP);
    socket.once("connect", () => resolve({ stream: socket, failure: () => "" }));
    socket.once("error", reject);
  });
}

/** Why a stream is refused (upstream's checks), or undefined for a good one. */
function invalid(stream: SpdyStream): string | undefined {
  const { port, streamtype } = stream.headers;
  if (!port) return `"port" header is required`;
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  if (!streamtype) return `"streamType" header is required`;
  if (streamtype !== "error" && streamtype !== "data") return `invalid stream type "${streamtype}"`;
  return undefined;
}

/**
 * The pair a stream belongs to. Clients before request ids opened each pair's
 * error stream, then its data stream, so upstream pairs them by stream id.
 */
function requestId(stream: SpdyStream): string {
  const id = stream.headers.requestid;
  if (id) return id;
  return String(stream.headers.streamtype === "error" ? stream.id : stream.id - 2);
}

export function servePortForward(session: SpdySession, podName: string, dial: PortDialer): void {
  const errorStreams = new Map<string, SpdyStream>();
  session.on("stream", (stream: SpdyStream) => {
    // A stream fails when the client goes away; that must not take the kubelet with it.
    stream.on("error", () => stream.destroy());
    if (invalid(stream)) return stream.reset();
    stream.accept();
    const id = requestId(stream);
    if (stream.headers.streamtype === "error") {
      errorStreams.set(id, stream);
      stream.on("close", () => errorStreams.delete(id));
      stream.resume();
      return;
    }
    const port = Number(stream.headers.port);
    const report = (reason: string) => errorStreams.get(id)?.end(`error forwarding port ${port} to pod ${podName}: ${reason}`);
    dial(port).then(({ stream: target, failure }) => {
      target.on("error", (err) => { report(err.message); stream.end(); });
      target.once("end", () => { const f = failure(); if (f) report(f); });
      stream.on("close", () => target.destroy());
      stream.pipe(target).pipe(stream);
    }, (err: Error) => { report(err.message); stream.end(); });
  });
}
