/**
 * The channel protocols of exec sessions over WebSocket (k8s.io's
 * remotecommand): each binary message starts with its channel (0 stdin,
 * 1 stdout, 2 stderr, 3 the final Status, 4 terminal resize; v5 adds 255,
 * the close signal).
 */
import { WebSocket } from "ws";

/** Newest first (containerd's streaming server speaks v4 over WebSocket, so the kubelet talks SPDY to it). */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
/** Port forwarding: a SPDY/3.1 byte stream in binary messages, whose boundaries mean nothing. */
export const PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
export const CLOSE_CHANNEL = 255;

/** Passes frames both ways until either side closes; v5's close signal goes on only where the other side speaks v5 too. */
export function relayExecFrames(client: WebSocket, upstream: WebSocket): void {
  const closeSignal = upstream.protocol === "v5.channel.k8s.io";
  client.on("message", (data: Buffer) => { if ((data[0] !== CLOSE_CHANNEL || closeSignal) && upstream.readyState === WebSocket.OPEN) upstream.send(data); });
  upstream.on("message", (data: Buffer) => { if (client.readyState === WebSocket.OPEN) client.send(data); });
  const closeBoth = () => {
    if (client.readyState === WebSocket.OPEN) client.close(1000);
    if (upstream.readyState === WebSocket.OPEN) upstream.close(1000);
  };
  for (const ws of [client, upstream]) {
    ws.once("close", closeBoth);
    ws.once("error", closeBoth);
  }
}
