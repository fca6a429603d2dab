/** The part of spdy-transport (which ships no types) that the kubelet's port forwarding uses. */
declare module "spdy-transport" {
  import type { Duplex } from "node:stream";

  export interface SpdyStream extends Duplex {
    id: number;
    headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void;
    abort(code?: string, callback?: () => void): void;
    on(event: "response", listener: (status: number, headers: Record<string, string>) => void): this;
    on(event: string, listener: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any -- Duplex's events
  }

  export interface SpdyConnection {
    on(event: "stream", listener: (stream: SpdyStream) => void): this;
    on(event: "error" | "close", listener: (err?: Error) => void): this;
    on(event: "close", listener: () => void): this;
    start(version: number): void;
    end(callback?: () => void): void;
    /** Opens a stream (a SYN_STREAM); the callback runs once it is sent. */
    request(uri: { method: string; path: string; host?: string; headers: Record<string, string>; readable?: boolean; writable?: boolean }, callback: (err: Error | null, stream: SpdyStream) => void): SpdyStream;
  }

  export const connection: {
    create(socket: Duplex, options: { protocol: "spdy" | "http2"; isServer: boolean; autoSpdy31?: boolean; windowSize?: number }): SpdyConnection;
  };
}
