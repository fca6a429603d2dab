/**
 * `skiff scheduler` run alone serves /metrics on its secure port as
 * upstream's kube-scheduler does: HTTPS with a self-signed certificate,
 * callers authenticated by a cluster client certificate or a bearer token
 * and authorized by the API server (system:monitoring), health open to all.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { onProcessEnd } from "../../helpers/process-end.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

/** A client certificate signed by the cluster CA with openssl: CN the user, O the groups. */
function signWithCa(dataDir: string, dir: string, name: string, groups: string[]): void {
  const tls = join(dataDir, "tls");
  const subject = `/CN=${name}${groups.map((g) => `/O=${g}`).join("")}`;
  execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.csr`), "-subj", subject], { stdio: "ignore" });
  execFileSync("openssl", ["x509", "-req", "-in", join(dir, `${name}.csr`), "-CA", join(tls, "ca.crt"), "-CAkey", join(tls, "ca.key"), "-CAcreateserial", "-CAserial", join(dir, "ca.srl"),
    "-out", join(dir, `${name}.crt`), "-days", "1"], { stdio: "ignore" });
}

interface Answer { code: number; body: string }

describe("the scheduler's secure port", () => {
  let server: RunningServer;
  let scheduler: ChildProcess;
  let port = 0;
  let kubectl: ReturnType<typeof kubectlFor>;
  const scratch = mkdtempSync(join(tmpdir(), "skiff-secure-port-"));
  const credentials = (name: string) => ({ cert: readFileSync(join(scratch, `${name}.crt`)), key: readFileSync(join(scratch, `${name}.key`)) });

  /** A GET as a scraper makes it: the component's certificate is self-signed, so it is not verified (upstream's insecure_skip_verify). */
  const get = (path: string, opts: { cert?: Buffer; key?: Buffer; token?: string } = {}): Promise<Answer> => new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, rejectUnauthorized: false, cert: opts.cert, key: opts.key, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });

  before(async () => {
    // The server's own scheduler stays out, so this one leads.
    server = await startServer({ args: ["--disable-controllers"] });
    kubectl = kubectlFor(server.kubeconfig);
    // No controllers run to sign CSRs: the certificates are signed with the CA's key, as an administrator holding it would.
    signWithCa(server.dataDir, scratch, "prometheus", ["system:monitoring"]);
    signWithCa(server.dataDir, scratch, "nobody", []);
    port = await freePort();
    scheduler = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "scheduler", "--kubeconfig", server.kubeconfig, "--secure-port", String(port)], { stdio: "ignore" });
    const child = scheduler;
    onProcessEnd(() => { if (child.exitCode === null) child.kill("SIGKILL"); });
    await eventually(async () => (await get("/healthz").catch(() => undefined))?.code === 200, 20_000, 200);
  });

  after(async () => {
    if (scheduler && scheduler.exitCode === null) {
      const exited = new Promise((r) => scheduler.once("exit", r));
      scheduler.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (scheduler.exitCode === null) scheduler.kill("SIGKILL");
    }
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("serves health to anyone and /metrics only to whom the API server allows it", async () => {
    assert.equal((await get("/healthz")).body, "ok");
    const anonymous = await get("/metrics");
    assert.equal(anonymous.code, 401);
    const nobody = await get("/metrics", credentials("nobody"));
    assert.equal(nobody.code, 403);
    assert.equal(JSON.parse(nobody.body).message, `forbidden: User "nobody" cannot get path "/metrics"`);
    const leading = await eventually(async () => {
      const r = await get("/metrics", credentials("prometheus"));
      assert.equal(r.code, 200);
      return /^leader_election_master_status\{name="kube-scheduler"\} 1$/m.test(r.body) ? r : undefined;
    }, 20_000, 300);
    assert.match(leading!.body, /^# TYPE scheduler_schedule_attempts_total counter$/m);
    assert.match(leading!.body, /^scheduler_pending_pods\{queue="active"\} \d+$/m);
    assert.match(leading!.body, /^process_resident_memory_bytes \d+$/m);
  });

  it("takes a service account's bearer token, checked with a TokenReview", async () => {
    await kubectl.ok(["create", "serviceaccount", "scraper"]);
    const token = (await kubectl.ok(["create", "token", "scraper"])).trim();
    assert.equal((await get("/metrics", { token })).code, 403, "authenticated, not yet allowed");
    await kubectl.ok(["create", "clusterrolebinding", "scraper-monitoring", "--clusterrole=system:monitoring", "--serviceaccount=default:scraper"]);
    await eventually(async () => (await get("/metrics", { token })).code === 200, 10_000, 200);
    assert.equal((await get("/metrics", { token: "not-a-token" })).code, 401);
  });

  it("counts a scheduling attempt", async () => {
    // No serviceaccount controller runs either: the account pods get by default is made by hand.
    await kubectl.ok(["create", "serviceaccount", "default"]);
    await kubectl.ok(["run", "nowhere", "--image=unused"]);
    // No node: the attempt is unschedulable.
    await eventually(async () => /^scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} [1-9]/m.test((await get("/metrics", credentials("prometheus"))).body), 20_000, 300);
  });
});
