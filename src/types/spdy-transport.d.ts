/** The part of spdy-transport (which ships no types) that the kubelet's port forwarding uses. */
declare module "spdy-transport" {
  import type { Duplex } from "node:stream";

  export interface SpdyStream extends Duplex {
    id: number;
    headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void;
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection {
    on(event: "stream", listener: (stream: SpdyStream) => void): this;
    on(event: "error" | "close", listener: (err?: Error) => void): this;
    start(version: number): void;
    end(callback?: () => void): void;
  }

  export const connection: {
    create(socket: Duplex, options: { protocol: "spdy" | "http2"; isServer: boolean; autoSpdy31?: boolean; windowSize?: number }): SpdyConnection;
  };
}
