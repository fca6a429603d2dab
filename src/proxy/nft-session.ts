/**
 * A long-lived `nft -i`, for the small transactions of endpoint changes: a
 * fresh nft per change pays for its start and for reading the whole table
 * from the kernel, roughly doubling the time. Each line given is one
 * transaction; `describe meta mark`, answered without the kernel, follows
 * it, so whatever nft prints before that answer is the transaction's error.
 * A session that dies or hangs is dropped, and the caller falls back to
 * `nft -f`.
 */
import { spawn, type ChildProcess } from "node:child_process";

const MARKER_COMMAND = "describe meta mark";
const MARKER = "datatype mark";

export class NftSession {
  private child?: ChildProcess;
  private output = "";
  private onOutput?: () => void;
  private onExit?: () => void;

  /** Runs one line as one transaction; ok false with nft's message when it failed or the session broke. */
  run(line: string, timeoutMs = 5000): Promise<{ ok: boolean; error: string }> {
    if (line.includes("\n")) throw new Error("an nft session line must be one line");
    const child = this.child ?? this.start();
    return new Promise((resolve) => {
      const finish = (ok: boolean, error: string) => {
        clearTimeout(timer);
        this.onOutput = undefined;
        this.onExit = undefined;
        resolve({ ok, error });
      };
      const timer = setTimeout(() => { this.close(); finish(false, "nft -i did not answer"); }, timeoutMs);
      this.output = "";
      this.onOutput = () => {
        const at = this.output.indexOf(MARKER);
        if (at < 0) return;
        const before = this.output.slice(0, this.output.lastIndexOf("\n", at) + 1).trim();
        finish(!/error/i.test(before), before);
      };
      this.onExit = () => finish(false, "nft -i exited");
      child.stdin!.write(`${line}\n${MARKER_COMMAND}\n`);
    });
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin?.end();
    child?.kill();
  }

  private start(): ChildProcess {
    // One stream for nft's answers and its errors keeps them in the order they came.
    const child = spawn("sh", ["-c", "exec nft -i 2>&1"], { stdio: ["pipe", "pipe", "ignore"] });
    child.stdout!.on("data", (d: Buffer) => { this.output += d.toString(); this.onOutput?.(); });
    child.stdin!.on("error", () => undefined);
    const gone = () => {
      if (this.child === child) this.child = undefined;
      this.onExit?.();
    };
    child.once("exit", gone);
    child.once("error", gone);
    this.child = child;
    return child;
  }
}
