/**
 * Last-chance cleanup for a test process that is ended from outside. Node's
 * test runner ends a test file that runs past `--test-timeout` with SIGTERM,
 * and the default SIGTERM action exits without running "exit" listeners or
 * `after` hooks: a server the file started would keep running, holding its
 * pod bridge, 10.244.0.1 and 10.96.0.1, and break every later file with a
 * real node. Actions registered here run (synchronously) on a normal exit
 * and on SIGTERM or SIGINT, after which the process exits.
 */
const actions = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const action of [...actions].reverse()) {
    actions.delete(action);
    try { action(); } catch { /* the next action still runs */ }
  }
}

/** Registers a synchronous cleanup; the returned function unregisters it (call it once cleaned up normally). */
export function onProcessEnd(action: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once("exit", runAll);
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => { runAll(); process.exit(signal === "SIGTERM" ? 143 : 130); });
    }
  }
  actions.add(action);
  return () => { actions.delete(action); };
}

/** A child process that must not outlive the test: SIGKILLed at the end unless it has exited by then. */
export function killOnProcessEnd<T extends import("node:child_process").ChildProcess>(child: T): T {
  const unregister = onProcessEnd(() => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); });
  child.once("exit", unregister);
  return child;
}
