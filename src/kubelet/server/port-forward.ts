/**
 * Port forwarding as kubectl v1.32 asks for it (KUBECTL-API-NOTES f.2): a
 * SPDY/3.1 session, tunnelled in WebSocket binary messages under the
 * subprotocol `SPDY/3.1+portforward.k8s.io`, in which each forwarded
 * connection is a pair of streams sharing a `requestid` and naming the pod's
 * `port`: `streamtype: error` and `streamtype: data`. The data stream is
 * spliced with a TCP connection to the pod's address (so a server that
 * listens on the pod's loopback only is not reached, unlike upstream, which
 * enters the pod's network namespace); a failure is written to the error
 * stream. SPDY framing and header compression are spdy-transport's.
 */
import { connect } from "node:net";
import spdy from "spdy-transport";
import type { SpdyStream } from "spdy-transport";
import { createWebSocketStream, type WebSocket } from "ws";

/**
 * spdy-transport takes every SYN_STREAM for an HTTP request and refuses one
 * without `:method` and `:path`; Kubernetes' streams carry only their own
 * headers. This session's parser is given the two before that check.
 */
function acceptStreamsWithoutHttpHeaders(session: object): void {
  type Kvs = (buffer: unknown, callback: (err: Error | null, headers?: Record<string, string>) => void) => void;
  const parser = (session as { _spdyState?: { parser?: { parseKVs?: Kvs } } })._spdyState?.parser;
  const parseKVs = parser?.parseKVs;
  if (!parser || !parseKVs) throw new Error("spdy-transport changed: its parser is not where port forwarding expects it");
  parser.parseKVs = function (buffer, callback) {
    parseKVs.call(this, buffer, (err, headers) => {
      if (!err && headers?.streamtype !== undefined) {
        headers[":method"] ??= "POST";
        headers[":path"] ??= "/";
      }
      callback(err, headers);
    });
  };
}

/**
 * kubectl's SPDY (Go's spdystream) never sends WINDOW_UPDATE, and does not
 * enforce windows either, so a sender that honours the 64 KiB initial window
 * stalls after it: this session's streams get the largest send window.
 */
function sendWithoutFlowControl(session: object): void {
  interface Side { setMax(n: number): void; updateMax(n: number): void }
  const state = (session as { _spdyState?: { streamWindow?: { send?: Side }; window?: { send?: Side } } })._spdyState;
  if (!state?.streamWindow?.send || !state.window?.send) throw new Error("spdy-transport changed: its flow-control windows are not where port forwarding expects them");
  const largest = 2 ** 31 - 1;
  state.streamWindow.send.setMax(largest);
  state.window.send.updateMax(largest);
}

export function servePortForward(ws: WebSocket, podIP: string, podName: string): void {
  const session = spdy.connection.create(createWebSocketStream(ws), { protocol: "spdy", isServer: true });
  acceptStreamsWithoutHttpHeaders(session);
  sendWithoutFlowControl(session);
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
    const target = connect(port, podIP);
    target.on("error", (err) => {
      errorStreams.get(id)?.end(`error forwarding port ${port} to pod ${podName}: ${err.message}`);
      stream.end();
    });
    stream.on("error", () => target.destroy());
    stream.on("close", () => target.destroy());
    stream.pipe(target).pipe(stream);
  });
  session.on("error", () => ws.terminate());
}
