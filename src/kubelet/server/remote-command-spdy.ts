/**
 * Kubernetes' remotecommand protocols over SPDY, the server's side (what
 * kubectl exec and attach speak without WebSockets): the client opens one
 * stream per standard stream, named by its `streamType` header (error,
 * stdin, stdout, stderr, and resize from v3 on with a terminal); the server
 * takes them, runs the command, and ends with its status on the error
 * stream: from v4 a metav1.Status in JSON (the exit code in a cause of reason
 * ExitCode), before v4 only a failure's message as text.
 */
import type { ExecStatus } from "../../api/exec-streams.js";
import type { SpdySession, SpdyStream } from "./spdy/session.js";

/** Newest first, as upstream's kubelet accepts them. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;

/** How long the client has to open its streams (upstream's stream creation timeout). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface StreamOptions { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

export interface TerminalSize { Width: number; Height: number }

export interface SpdyRemoteCommand {
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  /** Each resize the client asks for (v3 and later, with a terminal). */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Writes the final status (a metav1.Status as v4 has it), ends every stream and the session. */
  finish(status: ExecStatus): void;
  /** Resolves when the session has ended, whoever ended it. */
  closed: Promise<void>;
}

/** Waits for the streams the options call for, taking each as it comes; fails after the creation timeout. */
export function acceptRemoteCommand(session: SpdySession, protocol: string, options: StreamOptions): Promise<SpdyRemoteCommand> {
  const resizable = protocol === "v4.channel.k8s.io" || protocol === "v3.channel.k8s.io";
  const expected = 1 + Number(options.stdin) + Number(options.stdout) + Number(options.stderr && !options.tty) + Number(options.tty && resizable);
  const got: Partial<Record<"error" | "stdin" | "stdout" | "stderr" | "resize", SpdyStream>> = {};
  return new Promise((resolve, reject) => {
    let count = 0;
    const timer = setTimeout(() => { reject(new Error("timed out waiting for client to create streams")); session.destroy(); }, STREAM_CREATION_TIMEOUT_MS);
    const closed = () => { clearTimeout(timer); reject(new Error("the client went away before opening its streams")); };
    session.once("close", closed);
    session.on("stream", (stream: SpdyStream) => {
      const type = stream.headers.streamtype ?? "";
      if (!["error", "stdin", "stdout", "stderr", "resize"].includes(type) || got[type as keyof typeof got]) return stream.reset();
      stream.on("error", () => undefined);
      stream.accept();
      got[type as keyof typeof got] = stream;
      if (++count < expected) return;
      clearTimeout(timer);
      session.off("close", closed);
      resolve(remoteCommand(session, protocol, got));
    });
  });
}

function remoteCommand(session: SpdySession, protocol: string, s: Partial<Record<"error" | "stdin" | "stdout" | "stderr" | "resize", SpdyStream>>): SpdyRemoteCommand {
  // Streams the server only writes: their read side must flow for their end to come.
  for (const w of [s.error, s.stdout, s.stderr]) w?.resume();
  const resizeListeners: Array<(size: TerminalSize) => void> = [];
  if (s.resize) {
    // The client writes one JSON object per size, one after the other.
    let pending = "";
    s.resize.on("data", (d: Buffer) => {
      pending += d.toString();
      for (let nl; (nl = pending.indexOf("}")) >= 0;) {
        const text = pending.slice(0, nl + 1);
        pending = pending.slice(nl + 1);
        try {
          const size = JSON.parse(text) as TerminalSize;
          for (const l of resizeListeners) l(size);
        } catch {
          // Not a size: ignored, as upstream's decoder ends on it.
        }
      }
    });
  }
  let finished = false;
  const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
  return {
    stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, closed,
    onResize: (l) => resizeListeners.push(l),
    finish(status) {
      if (finished) return;
      finished = true;
      if (s.error) {
        if (protocol === "v4.channel.k8s.io") s.error.write(JSON.stringify(status));
        else if (status.status !== "Success") s.error.write(status.message ?? "");
      }
      // GOAWAY only once every stream's data and FIN are out: the client reads each to its end first.
      const ends = [s.error, s.stdout, s.stderr, s.stdin, s.resize].filter((w): w is SpdyStream => !!w).map((w) => new Promise<void>((resolve) => {
        if (w.writableFinished || w.destroyed) return resolve();
        w.once("finish", resolve);
        w.once("close", resolve);
        w.end();
      }));
      void Promise.all(ends).then(() => session.close());
    },
  };
}
