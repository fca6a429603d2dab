/** Runs the real /usr/bin/kubectl against a test server, with a private cache directory. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KubectlResult { code: number; stdout: string; stderr: string }

export function kubectlFor(kubeconfig: string) {
  const cacheDir = mkdtempSync(join(tmpdir(), "skiff-kubectl-cache-"));
  process.once("exit", () => rmSync(cacheDir, { recursive: true, force: true }));
  const run = (args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], {
        timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, HOME: cacheDir, ...opts.env }, maxBuffer: 32 * 1024 * 1024,
      }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  /** Runs kubectl and fails with its output when it exits non-zero. */
  const ok = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> => {
    const r = await run(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  return { run, ok, cacheDir };
}

/** Polls until check returns a truthy value or the time is up (then throws its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = new Error("condition not met");
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Exposes Deployment `web` (port 80 to 8080, NodePort) and starts pod `client` to call it from, both ready. */
/** A pod's IP once it is Running (waits up to timeoutMs). */
export async function runningPodIP(kubectl: ReturnType<typeof kubectlFor>, name: string, timeoutMs = 90_000): Promise<string> {
  const ip = await eventually(async () => {
    const pod = JSON.parse(await kubectl.ok(["get", "pod", name, "-o", "json"])) as { status?: { phase?: string; podIP?: string } };
    return pod.status?.phase === "Running" ? pod.status.podIP : undefined;
  }, timeoutMs, 500);
  return ip!;
}

export async function exposeWebWithClient(kubectl: ReturnType<typeof kubectlFor>, image: string): Promise<void> {
  await kubectl.ok(["expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort"]);
  await kubectl.ok(["run", "client", `--image=${image}`, "--", "sleep", "3600"]);
  await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=90s"]);
  await kubectl.ok(["wait", "--for=condition=Ready", "pod/client", "--timeout=60s"]);
}
