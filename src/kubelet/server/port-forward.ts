/**
 * Port forwarding as kubectl v1.32 asks for it (KUBECTL-API-NOTES f.2): a
 * SPDY/3.1 session, tunnelled in WebSocket binary messages under the
 * subprotocol `SPDY/3.1+portforward.k8s.io`, in which each forwarded
 * connection is a pair of streams sharing a `requestid` and naming the pod's
 * `port`: `streamtype: error` and `streamtype: data`. The data stream is
 * spliced with a connection into the pod: through the runtime's own port
 * forwarding where it has one (containerd dials from inside the pod's network
 * namespace, so servers on the pod's loopback are reached, as upstream), else
 * to the pod's address; a failure is written to the error stream. SPDY framing and header compression are spdy-transport's (see spdy.ts).
 */
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { SpdyStream } from "spdy-transport";
import { createWebSocketStream, type WebSocket } from "ws";
import { spdySession } from "./spdy.js";

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

export function servePortForward(ws: WebSocket, podName: string, dial: PortDialer): void {
  const session = spdySession(createWebSocketStream(ws), true);
  const errorStreams = new Map<string, SpdyStream>();
  session.on("stream", (stream) => {
    const { streamtype: type, requestid: id = "", port: portText = "" } = stream.headers;
    // A stream fails when the client goes away; that must not take the kubelet with it.
    stream.on("error", () => stream.destroy());
    stream.respond(200, {});
    if (type === "error") {
      errorStreams.set(id, stream);
      stream.on("close", () => errorStreams.delete(id));
      stream.resume();
      return;
    }
    const port = Number(portText);
    if (type !== "data" || !(port > 0 && port < 65536)) { stream.end(); return; }
    const report = (reason: string) => errorStreams.get(id)?.end(`error forwarding port ${port} to pod ${podName}: ${reason}`);
    dial(port).then(({ stream: target, failure }) => {
      target.on("error", (err) => { report(err.message); stream.end(); });
      target.once("end", () => { const f = failure(); if (f) report(f); });
      stream.on("error", () => target.destroy());
      stream.on("close", () => target.destroy());
      stream.pipe(target).pipe(stream);
    }, (err: Error) => { report(err.message); stream.end(); });
  });
  session.on("error", () => ws.terminate());
}
