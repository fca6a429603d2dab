/**
 * SIGINT and SIGTERM, listened for from a command's first step: a signal that
 * arrives while the command still starts (containerd coming up, certificates
 * being issued) must end it through the same orderly shutdown, not kill the
 * process by Node's default and leave its containerd and mounts behind.
 */
export interface StopSignal {
  /** Resolves with the signal's name once one arrives. */
  readonly requested: Promise<string>;
  /** The signal's name once one arrived. */
  readonly received: string | undefined;
}

export function listenForStop(onStop?: (signal: string) => void): StopSignal {
  let received: string | undefined;
  let resolve!: (signal: string) => void;
  const requested = new Promise<string>((done) => { resolve = done; });
  const handle = (signal: string) => {
    if (received) return;
    received = signal;
    onStop?.(signal);
    resolve(signal);
  };
  // `on`, not `once`: a second signal during shutdown must not fall back to Node's default and kill the
  // process halfway; the shutdown watchdog bounds it instead.
  process.on("SIGINT", () => handle("SIGINT"));
  process.on("SIGTERM", () => handle("SIGTERM"));
  return { requested, get received() { return received; } };
}
