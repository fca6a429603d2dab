/**
 * The channel protocols of exec and attach sessions over WebSocket (k8s.io's
 * remotecommand): each message starts with its channel (0 stdin, 1 stdout,
 * 2 stderr, 3 the final status, 4 terminal resize; v5 adds 255, the close
 * signal). The base64 variants send text messages: the channel as an ASCII
 * digit, then the data in base64. Before v4 the status channel carries only a
 * failure's message, as text; from v4 a metav1.Status in JSON.
 */
import { WebSocket } from "ws";

/** Every subprotocol served, newest first; a client without one gets `channel.k8s.io`. */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"];
/** Port forwarding: a SPDY/3.1 byte stream in binary messages, whose boundaries mean nothing. */
export const PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
export const CLOSE_CHANNEL = 255;

/** The status an exec session ends with, as metav1.Status (v4's error channel). */
export interface ExecStatus {
  metadata: object;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** The first of the client's subprotocols that is served, in the client's order (upstream's wsstream handshake). */
export function pickExecProtocol(offered: Set<string>): string | false {
  for (const p of offered) if (EXEC_PROTOCOLS.includes(p)) return p;
  return false;
}

export interface ChannelCodec {
  /** Whether the session has v5's close signal (channel 255). */
  closeSignal: boolean;
  encode(channel: number, data: Buffer): { data: Buffer | string; binary: boolean };
  decode(data: Buffer, isBinary: boolean): { channel: number; payload: Buffer } | undefined;
  /** The status channel's message for a final status, or undefined for none (success before v4). */
  status(status: ExecStatus): Buffer | undefined;
}

/** The framing of a negotiated subprotocol ("" when the client named none). */
export function channelCodec(protocol: string): ChannelCodec {
  const base64 = protocol.includes("base64.");
  const json = protocol.startsWith("v4.") || protocol.startsWith("v5.");
  return {
    closeSignal: protocol === "v5.channel.k8s.io",
    encode: (channel, data) => base64
      ? { data: String.fromCharCode(48 + channel) + data.toString("base64"), binary: false }
      : { data: Buffer.concat([Buffer.from([channel]), data]), binary: true },
    decode: (data, isBinary) => {
      if (!data.length) return undefined;
      if (!base64 || isBinary) return { channel: data[0]!, payload: data.subarray(1) };
      return { channel: data[0]! - 48, payload: Buffer.from(data.subarray(1).toString("latin1"), "base64") };
    },
    status: (s) => {
      if (json) return Buffer.from(JSON.stringify(s));
      return s.status === "Success" ? undefined : Buffer.from(s.message ?? "");
    },
  };
}

/** Sends one channel's data on a client's WebSocket, in its subprotocol's framing. */
export function sendChannel(ws: WebSocket, codec: ChannelCodec, channel: number, data: Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const m = codec.encode(channel, data);
  ws.send(m.data, { binary: m.binary });
}

/** Passes messages both ways, as they are, until either side closes: both sides speak the client's subprotocol. */
export function relayExecFrames(client: WebSocket, upstream: WebSocket): void {
  client.on("message", (data: Buffer, isBinary: boolean) => { if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary }); });
  upstream.on("message", (data: Buffer, isBinary: boolean) => { if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary }); });
  const closeBoth = () => {
    if (client.readyState === WebSocket.OPEN) client.close(1000);
    if (upstream.readyState === WebSocket.OPEN) upstream.close(1000);
  };
  for (const ws of [client, upstream]) {
    ws.once("close", closeBoth);
    ws.once("error", closeBoth);
  }
}
