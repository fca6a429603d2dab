/**
 * The kubelet with real containers: `skiff server --runtime cri` runs pods
 * through its own containerd, runc and CNI, and kubectl sees them as on
 * upstream Kubernetes. Needs root and Debian's containerd, runc and
 * containernetworking-plugins (installed by .ci/run).
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE, buildImageArchive } from "../../../src/kubelet/images/build.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { killall, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason();
const registryMissing = ["docker-registry", "skopeo"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0).map((b) => `${b} is not installed`)[0];

const BRIDGE = "skiffe2e0";

function podYaml(name: string, spec: string, extra = ""): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}${extra}}
spec:
${spec.split("\n").map((l) => `  ${l}`).join("\n")}
`;
}

describe("kubelet with containerd", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-kubelet-"));
  const hostDir = mkdtempSync(join(tmpdir(), "skiff-kubelet-host-"));
  const start = () => startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", "e2e-node"] });
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const apply = (yaml: string) => kubectl.ok(["apply", "-f", "-"], { input: yaml });
  const pod = (name: string) => json(["get", "pod", name]);
  const containerStatus = async (name: string) => (await pod(name)).status.containerStatuses?.[0] ?? {};
  const events = async (name: string) => (await json(["get", "events", "--field-selector", `involvedObject.name=${name}`])).items as Json[];

  before(async () => {
    server = await start();
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "e2e-node"])), 60_000, 250);
  });
  after(async () => {
    await server?.stop();
    killall(dataDir, BRIDGE);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  });

  it("registers the node with the host's capacity, its runtime and an address on the pod bridge", async () => {
    const node = await json(["get", "node", "e2e-node"]);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
    assert.equal(node.metadata.labels["kubernetes.io/os"], "linux");
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
    assert.match(node.spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
    const ip = node.status.addresses.find((a: Json) => a.type === "InternalIP").address;
    assert.equal(ip, node.spec.podCIDR.replace(/0\/24$/, "1"));
    assert.ok(node.status.images.some((i: Json) => i.names.includes(BUSYBOX_IMAGE)));
  });

  it("runs a Deployment of web servers that reach each other by pod IP, with logs and exec", async () => {
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${BUSYBOX_IMAGE}
        command: ["sh", "-c", "echo serving as $(hostname); mkdir -p /www; echo hello from $(hostname) > /www/index.html; exec httpd -f -p 8080 -h /www"]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`);
    assert.match(await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=90s"]), /successfully rolled out/);
    const pods = (await json(["get", "pods", "-l", "app=web"])).items as Json[];
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status.phase, "Running");
      assert.match(p.status.podIP, /^10\.244\.\d+\.\d+$/);
      assert.match(p.status.containerStatuses[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/);
      assert.equal(p.status.qosClass, "BestEffort");
    }
    const [a, b] = pods as [Json, Json];
    assert.match(await kubectl.ok(["logs", a.metadata.name]), new RegExp(`^serving as ${a.metadata.name}$`, "m"));
    const body = await kubectl.ok(["exec", a.metadata.name, "--", "wget", "-qO-", `http://${b.status.podIP}:8080/`]);
    assert.equal(body.trim(), `hello from ${b.metadata.name}`);
    const failed = await kubectl.run(["exec", a.metadata.name, "--", "sh", "-c", "echo to-stderr >&2; exit 3"]);
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /to-stderr/);
    const reasons = (await events(a.metadata.name)).map((e) => e.reason);
    for (const r of ["Scheduled", "Pulled", "Created", "Started"]) assert.ok(reasons.includes(r), `event ${r} in ${reasons}`);
    await kubectl.ok(["delete", "deployment", "web"]);
  });

  it("streams logs with -f until the container ends, and honours --tail and --timestamps", async () => {
    await apply(podYaml("counter", `restartPolicy: Never
containers:
- name: count
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.5; done"]`));
    await eventually(async () => (await pod("counter")).status.phase === "Running", 30_000, 200);
    const followed = await kubectl.ok(["logs", "-f", "counter"]);
    assert.equal(followed, "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n");
    await eventually(async () => (await pod("counter")).status.phase === "Succeeded", 30_000, 200);
    assert.equal(await kubectl.ok(["logs", "counter", "--tail=2"]), "line 5\nline 6\n");
    assert.match(await kubectl.ok(["logs", "counter", "--tail=1", "--timestamps"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 6\n$/);
    const st = await containerStatus("counter");
    assert.equal(st.state.terminated.reason, "Completed");
    assert.equal(st.state.terminated.exitCode, 0);
    await kubectl.ok(["delete", "pod", "counter"]);
  });

  it("backs a crashing container off with growing delays (CrashLoopBackOff)", async () => {
    await apply(podYaml("crasher", `containers:
- name: crash
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "echo crashing; exit 2"]`));
    const first = await eventually(async () => {
      const st = await containerStatus("crasher");
      return st.state?.waiting?.reason === "CrashLoopBackOff" ? st : undefined;
    }, 30_000, 200);
    assert.equal(first.lastState.terminated.exitCode, 2);
    assert.equal(first.lastState.terminated.reason, "Error");
    assert.match(first.state.waiting.message, /^back-off 10s restarting failed container=crash pod=crasher_default\(/);
    const later = await eventually(async () => {
      const st = await containerStatus("crasher");
      return /^back-off 20s/.test(st.state?.waiting?.message ?? "") ? st : undefined;
    }, 40_000, 250);
    assert.ok(later.restartCount >= 2);
    assert.match(await kubectl.ok(["get", "pod", "crasher"]), /crasher\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)/);
    assert.ok((await events("crasher")).some((e) => e.reason === "BackOff" && /Back-off restarting failed container crash/.test(e.message)));
    assert.match(await kubectl.ok(["logs", "crasher", "--previous"]), /crashing/);
    await kubectl.ok(["delete", "pod", "crasher", "--wait=false"]);
  });

  it("restarts a container whose liveness probe fails and keeps a pod whose readiness fails out of Ready", async () => {
    await apply(podYaml("liveness", `containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 600"]
  livenessProbe: {exec: {command: ["cat", "/tmp/healthy"]}, periodSeconds: 1, failureThreshold: 2}`));
    await apply(podYaml("unready", `containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sleep", "600"]
  readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}`));
    await eventually(async () => (await containerStatus("liveness")).restartCount >= 1, 40_000, 250);
    const ev = await events("liveness");
    assert.ok(ev.some((e) => e.reason === "Unhealthy" && /^Liveness probe failed: cat: can't open '\/tmp\/healthy'/.test(e.message)), JSON.stringify(ev.map((e) => e.message)));
    assert.ok(ev.some((e) => e.reason === "Killing" && e.message === "Container app failed liveness probe, will be restarted"));
    const unready = await pod("unready");
    assert.equal(unready.status.phase, "Running");
    assert.equal(unready.status.containerStatuses[0].ready, false);
    assert.equal(unready.status.conditions.find((c: Json) => c.type === "Ready").status, "False");
    assert.ok((await events("unready")).some((e) => e.reason === "Unhealthy" && e.message.startsWith("Readiness probe failed")));
    await kubectl.ok(["delete", "pod", "liveness", "unready", "--grace-period=1"]);
  });

  it("reports OOMKilled for a container over its memory limit", async () => {
    await apply(podYaml("oom", `restartPolicy: Never
containers:
- name: hog
  image: ${BUSYBOX_IMAGE}
  command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=4"]
  resources: {limits: {memory: 32Mi}}`));
    const st = await eventually(async () => { const s = await containerStatus("oom"); return s.state?.terminated ? s : undefined; }, 30_000, 200);
    assert.equal(st.state.terminated.reason, "OOMKilled");
    assert.equal(st.state.terminated.exitCode, 137);
    assert.equal((await pod("oom")).status.phase, "Failed");
    await kubectl.ok(["delete", "pod", "oom"]);
  });

  it("gives containers ConfigMap and Secret values in env and files, and follows a ConfigMap change", async () => {
    await kubectl.ok(["create", "configmap", "settings", "--from-literal=colour=blue", "--from-literal=size=large"]);
    await kubectl.ok(["create", "secret", "generic", "creds", "--from-literal=password=s3cret"]);
    await apply(podYaml("configured", `initContainers:
- name: prepare
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "echo prepared > /work/ready"]
  volumeMounts: [{name: work, mountPath: /work}]
containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sleep", "600"]
  env:
  - {name: COLOUR, valueFrom: {configMapKeyRef: {name: settings, key: colour}}}
  - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
  - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
  - {name: GREETING, value: "pod $(MY_POD) is $(COLOUR)"}
  envFrom: [{prefix: CFG_, configMapRef: {name: settings}}]
  volumeMounts:
  - {name: config, mountPath: /etc/config}
  - {name: secret, mountPath: /etc/secret, readOnly: true}
  - {name: work, mountPath: /work}
  - {name: info, mountPath: /etc/podinfo}
volumes:
- {name: config, configMap: {name: settings}}
- {name: secret, secret: {secretName: creds}}
- {name: work, emptyDir: {}}
- {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}`, ", labels: {tier: backend}"));
    await eventually(async () => (await pod("configured")).status.phase === "Running", 60_000, 200);
    const env = await kubectl.ok(["exec", "configured", "-c", "app", "--", "env"]);
    assert.match(env, /^COLOUR=blue$/m);
    assert.match(env, /^PASSWORD=s3cret$/m);
    assert.match(env, /^GREETING=pod configured is blue$/m);
    assert.match(env, /^CFG_size=large$/m);
    assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
    const cat = (path: string) => kubectl.ok(["exec", "configured", "-c", "app", "--", "cat", path]);
    assert.equal(await cat("/etc/config/colour"), "blue");
    assert.equal(await cat("/etc/secret/password"), "s3cret");
    assert.equal(await cat("/work/ready"), "prepared\n");
    assert.equal(await cat("/etc/podinfo/labels"), 'tier="backend"');
    const init = (await pod("configured")).status.initContainerStatuses[0];
    assert.equal(init.state.terminated.reason, "Completed");
    await kubectl.ok(["patch", "configmap", "settings", "-p", '{"data":{"colour":"green"}}']);
    await eventually(async () => (await cat("/etc/config/colour")) === "green", 30_000, 500);
    await kubectl.ok(["delete", "pod", "configured", "--grace-period=1"]);
  });


  it("lets a non-root container read a 0440 Secret through the pod's fsGroup, with its supplementalGroups", async () => {
    await kubectl.ok(["create", "secret", "generic", "group-read", "--from-literal=token=for-the-group"]);
    await apply(podYaml("non-root", `restartPolicy: Never
securityContext: {runAsUser: 1000, fsGroup: 1001, supplementalGroups: [2000]}
containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "id -G; ls -lnL /etc/secret/token; cat /etc/secret/token"]
  volumeMounts: [{name: secret, mountPath: /etc/secret}]
volumes:
- {name: secret, secret: {secretName: group-read, defaultMode: 0440}}`));
    await eventually(async () => ["Succeeded", "Failed"].includes((await pod("non-root")).status.phase), 60_000, 200);
    const logs = await kubectl.ok(["logs", "non-root"]);
    assert.equal((await pod("non-root")).status.phase, "Succeeded", logs);
    const [groups, listing, content] = logs.trim().split("\n");
    assert.deepEqual(groups.split(" ").map(Number).filter((g) => g !== 0).sort(), [1001, 2000], "the fsGroup and the supplementalGroups");
    assert.match(listing, /^-r--r-----\s+\d+\s+0\s+1001\s/, "the file is root's, group fsGroup, 0440");
    assert.equal(content, "for-the-group");
    await kubectl.ok(["delete", "pod", "non-root", "--grace-period=1"]);
  });
  it("runs preStop and sends SIGTERM on deletion, within the grace period", async () => {
    await apply(podYaml("graceful", `terminationGracePeriodSeconds: 20
containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sh", "-c", "trap 'echo got-sigterm >> /host/out; exit 0' TERM; while :; do sleep 0.2; done"]
  lifecycle: {preStop: {exec: {command: ["sh", "-c", "echo prestop >> /host/out"]}}}
  volumeMounts: [{name: host, mountPath: /host}]
volumes:
- {name: host, hostPath: {path: ${hostDir}, type: Directory}}`));
    await eventually(async () => (await pod("graceful")).status.phase === "Running", 30_000, 200);
    const started = Date.now();
    await kubectl.ok(["delete", "pod", "graceful"]);
    assert.ok(Date.now() - started < 15_000, "the pod went once its process exited, well within the grace period");
    assert.equal(readFileSync(join(hostDir, "out"), "utf8"), "prestop\ngot-sigterm\n");
  });

  it("completes a Job through real containers", async () => {
    await kubectl.ok(["create", "job", "once", `--image=${BUSYBOX_IMAGE}`, "--", "sh", "-c", "echo job done"]);
    await kubectl.ok(["wait", "--for=condition=complete", "job/once", "--timeout=60s"]);
    assert.equal(await kubectl.ok(["logs", "job/once"]), "job done\n");
    await kubectl.ok(["delete", "job", "once"]);
  });

  it("keeps a PersistentVolumeClaim's data across pods, and removes the volume with the claim", async () => {
    await apply(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    // The default class waits for the first pod, as k3s's local-path does.
    const waiting = await eventually(async () => { const out = await kubectl.ok(["describe", "pvc", "data"]); return /WaitForFirstConsumer/.test(out) ? out : undefined; }, 30_000, 200);
    assert.match(waiting!, /Status:\s+Pending/);
    const mountData = (name: string, command: string) => podYaml(name, `restartPolicy: Never
containers:
- {name: c, image: ${BUSYBOX_IMAGE}, command: ["sh", "-c", "${command}"], volumeMounts: [{name: d, mountPath: /data}]}
volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]`);
    await apply(mountData("writer", "echo persisted > /data/file"));
    await eventually(async () => (await pod("writer")).status.phase === "Succeeded", 30_000, 200);
    const claim = await json(["get", "pvc", "data"]);
    assert.equal(claim.status.phase, "Bound");
    assert.equal(claim.spec.storageClassName, "local-path");
    const pv = await json(["get", "pv", claim.spec.volumeName]);
    const node = (await pod("writer")).spec.nodeName;
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: "kubernetes.io/hostname", operator: "In", values: [node] }, "the volume is tied to the pod's node");
    await kubectl.ok(["delete", "pod", "writer"]);
    await apply(mountData("reader", "cat /data/file"));
    await eventually(async () => (await pod("reader")).status.phase === "Succeeded", 30_000, 200);
    assert.equal(await kubectl.ok(["logs", "reader"]), "persisted\n");
    await kubectl.ok(["delete", "pod", "reader"]);
    await kubectl.ok(["delete", "pvc", "data"]);
    await eventually(async () => (await json(["get", "pv"])).items.length === 0, 30_000, 200);
  });

  it("feeds stdin with exec -i and drives a shell through a terminal with exec -it", async () => {
    await apply(podYaml("shell", `containers:
- {name: sh, image: ${BUSYBOX_IMAGE}, command: ["sleep", "600"]}`));
    await eventually(async () => (await pod("shell")).status.phase === "Running", 30_000, 200);
    assert.equal(await kubectl.ok(["exec", "-i", "shell", "--", "head", "-n", "1"], { input: "from stdin\nmore\n" }), "from stdin\n");
    // The end of kubectl's input reaches the process (stdin closed through SPDY), so `cat` ends by itself.
    assert.equal(await kubectl.ok(["exec", "-i", "shell", "--", "cat"], { input: "all of it\n" }), "all of it\n");
    assert.equal((await kubectl.ok(["exec", "-i", "shell", "--", "wc", "-c"], { input: "x".repeat(200_000) })).trim(), "200000");
    // `script` gives kubectl a pseudo-terminal, as a user's shell would.
    const cmd = `/usr/bin/kubectl --kubeconfig ${server.kubeconfig} --cache-dir ${kubectl.cacheDir} exec -it shell -- sh`;
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d: Buffer) => { text += d.toString(); });
      child.stderr.on("data", (d: Buffer) => { text += d.toString(); });
      child.once("exit", (code) => resolve({ code, text }));
      setTimeout(() => child.stdin.write("echo tty=$(tty) sum=$((6*7))\n"), 1500);
      setTimeout(() => child.stdin.end("exit 3\n"), 2500);
    });
    assert.match(out.text, /tty=\/dev\/pts\/\d+ sum=42/);
    assert.equal(out.code, 3);
    await kubectl.ok(["delete", "pod", "shell", "--grace-period=1"]);
  });

  it("attaches to a running container's output, and runs a one-off pod with kubectl run -i --rm", async () => {
    await kubectl.ok(["run", "ticker", `--image=${BUSYBOX_IMAGE}`, "--", "sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done"]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/ticker", "--timeout=60s"]);
    // kubectl attach streams until interrupted; the timeout ends it.
    const attached = await kubectl.run(["attach", "ticker"], { timeoutMs: 3000 });
    assert.match(attached.stdout, /tick \d+\ntick \d+\n/);
    const once = await kubectl.run(["run", "once", `--image=${BUSYBOX_IMAGE}`, "--restart=Never", "-i", "--rm", "--", "sh", "-c", "read x; echo got $x"], { input: "hello\n" });
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /^got hello\npod "once" deleted\n?$/);
    await eventually(async () => !(await kubectl.ok(["get", "pods", "-o", "name"])).includes("pod/once"), 30_000, 200);
    await kubectl.ok(["delete", "pod", "ticker", "--grace-period=1"]);
  });

  it("reports CPU and memory of nodes and pods to kubectl top", async () => {
    await kubectl.ok(["run", "burn", `--image=${BUSYBOX_IMAGE}`, "--", "sh", "-c", "while true; do :; done"]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/burn", "--timeout=60s"]);
    // Rates need two samples, taken 10 s apart.
    const line = await eventually(async () => /^burn\s+(\d+)m\s+(\d+)Mi/m.exec((await kubectl.run(["top", "pod", "burn"])).stdout), 40_000, 1000);
    // Its share of a core depends on what else the machine runs: well above an idle container's is what is reported.
    assert.ok(Number(line![1]) >= 100, `a busy loop uses a good part of a core: ${line![0]}`);
    const node = await kubectl.ok(["top", "node"]);
    assert.match(node, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    const [, cores] = /^e2e-node\s+(\d+)m\s+\d+%\s+\d+Mi\s+\d+%/m.exec(node) ?? [];
    assert.ok(Number(cores) >= 100, node);
    const metrics = JSON.parse(await kubectl.ok(["get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burn"]));
    assert.equal(metrics.kind, "PodMetrics");
    assert.match(metrics.containers[0].usage.cpu, /^\d+n$/);
    assert.match(metrics.containers[0].usage.memory, /^\d+Ki$/);
    await kubectl.ok(["delete", "pod", "burn", "--grace-period=1"]);
  });

  it("forwards local ports to a pod with kubectl port-forward, both ways and in bulk", async () => {
    await kubectl.ok(["run", "echo", `--image=${BUSYBOX_IMAGE}`, "--", "nc", "-ll", "-p", "9000", "-e", "cat"]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/echo", "--timeout=60s"]);
    const localPort = await freePort();
    const forward = spawn("/usr/bin/kubectl", ["--kubeconfig", server.kubeconfig, "--cache-dir", kubectl.cacheDir, "port-forward", "pod/echo", `${localPort}:9000`], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let said = "";
      forward.stdout.on("data", (d: Buffer) => { said += d.toString(); });
      await eventually(() => said.includes(`Forwarding from 127.0.0.1:${localPort} -> 9000`) || undefined, 20_000, 100);
      // Two connections at once, 2 MiB each, echoed back whole: SPDY streams, flow control and the splice hold.
      const roundTrip = () => new Promise<boolean>((resolve, reject) => {
        const data = randomBytes(2 * 1024 * 1024);
        const chunks: Buffer[] = [];
        let n = 0;
        const sock = connect(localPort, "127.0.0.1", () => sock.write(data));
        sock.on("data", (d: Buffer) => { chunks.push(d); n += d.length; if (n >= data.length) { sock.destroy(); resolve(Buffer.concat(chunks).equals(data)); } });
        sock.on("error", reject);
      });
      assert.deepEqual(await Promise.all([roundTrip(), roundTrip()]), [true, true]);
    } finally {
      forward.kill();
    }
    await kubectl.ok(["delete", "pod", "echo", "--grace-period=1"]);

    // A server on the pod's own loopback is reached too: the runtime forwards from inside the pod's network.
    await apply(podYaml("loopback", `containers:
- {name: web, image: ${BUSYBOX_IMAGE}, command: ["sh", "-c", "mkdir -p /www && echo loopback-only > /www/index.html && exec httpd -f -p 127.0.0.1:9001 -h /www"]}`));
    await eventually(async () => (await pod("loopback")).status.phase === "Running", 30_000, 200);
    const port2 = await freePort();
    const forward2 = spawn("/usr/bin/kubectl", ["--kubeconfig", server.kubeconfig, "--cache-dir", kubectl.cacheDir, "port-forward", "pod/loopback", `${port2}:9001`], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const body = await eventually(async () => { try { return await (await fetch(`http://127.0.0.1:${port2}/`)).text(); } catch { return undefined; } }, 20_000, 200);
      assert.equal(body, "loopback-only\n");
    } finally {
      forward2.kill();
    }
    await kubectl.ok(["delete", "pod", "loopback", "--grace-period=1"]);
  });

  it("serves exec, attach and port-forward over SPDY too, as kubectl without WebSockets asks", async () => {
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false", KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" };
    await apply(podYaml("spdy", `containers:
- {name: web, image: ${BUSYBOX_IMAGE}, command: ["sh", "-c", "mkdir -p /www && echo over-spdy > /www/index.html && httpd -p 127.0.0.1:9002 -h /www; i=0; while true; do echo beat $i; i=$((i+1)); sleep 0.3; done"]}`));
    await eventually(async () => (await pod("spdy")).status.phase === "Running", 30_000, 200);
    assert.equal(await kubectl.ok(["exec", "spdy", "--", "sh", "-c", "echo out; echo err >&2"], { env: spdy }), "out\n");
    const failed = await kubectl.run(["exec", "spdy", "--", "sh", "-c", "exit 3"], { env: spdy });
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /command terminated with exit code 3/);
    assert.equal(await kubectl.ok(["exec", "-i", "spdy", "--", "cat"], { input: "all of it\n", env: spdy }), "all of it\n");
    // A terminal (script gives kubectl one): containerd's session with a resize stream, through both splices.
    const cmd = `/usr/bin/kubectl --kubeconfig ${server.kubeconfig} --cache-dir ${kubectl.cacheDir} exec -it spdy -- tty`;
    const tty = spawnSync("script", ["-qfec", cmd, "/dev/null"], { input: "", encoding: "utf8", timeout: 30_000, env: { ...process.env, ...spdy } });
    assert.match(tty.stdout, /\/dev\/pts\/\d+/);
    const attached = await kubectl.run(["attach", "spdy"], { timeoutMs: 3000, env: spdy });
    assert.match(attached.stdout, /beat \d+\nbeat \d+\n/);
    const port = await freePort();
    const forward = spawn("/usr/bin/kubectl", ["--kubeconfig", server.kubeconfig, "--cache-dir", kubectl.cacheDir, "port-forward", "pod/spdy", `${port}:9002`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...spdy } });
    try {
      const body = await eventually(async () => { try { return await (await fetch(`http://127.0.0.1:${port}/`)).text(); } catch { return undefined; } }, 20_000, 200);
      assert.equal(body, "over-spdy\n");
    } finally {
      forward.kill();
    }
    await kubectl.ok(["delete", "pod", "spdy", "--grace-period=1"]);
  });

  it("pulls from a registry with imagePullSecrets, and reports ErrImagePull and ImagePullBackOff", { skip: registryMissing ?? false }, async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "skiff-registry-"));
    // A real registry (Debian's docker-registry) on loopback, with basic authentication.
    const hash = execFileSync("python3", ["-c", "import crypt; print(crypt.crypt('s3cret', '$2b$05$abcdefghijklmnopqrstuv'))"], { encoding: "utf8" }).trim();
    writeFileSync(join(dir, "htpasswd"), `puller:${hash}\n`);
    writeFileSync(join(dir, "config.yml"), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\nauth:\n  htpasswd:\n    realm: skiff-test\n    path: ${dir}/htpasswd\n`);
    const registry = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    try {
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/v2/`)).status === 401, 10_000, 100);
      const archive = join(dir, "image.tar");
      buildImageArchive(archive, [{ name: "skiff.local/busybox:static", cmd: ["sh"] }]);
      execFileSync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds=puller:s3cret", `oci-archive:${archive}`, `docker://127.0.0.1:${port}/tools/busybox:v1`], { stdio: "ignore" });
      const image = `127.0.0.1:${port}/tools/busybox:v1`;
      await kubectl.ok(["run", "nocreds", `--image=${image}`, "--", "sleep", "600"]);
      const backoff = await eventually(async () => { const st = await containerStatus("nocreds"); return st.state?.waiting?.reason === "ImagePullBackOff" ? st : undefined; }, 30_000, 200);
      assert.match(backoff!.state.waiting.message, /Back-off pulling image/);
      const failed = (await events("nocreds")).filter((e) => e.reason === "Failed").map((e) => e.message);
      assert.ok(failed.includes("Error: ErrImagePull"));
      assert.ok(failed.some((m) => m.startsWith(`Failed to pull image "${image}"`) && /401 Unauthorized/.test(m)), failed.join("\n"));
      await kubectl.ok(["delete", "pod", "nocreds", "--grace-period=0", "--force"]);

      await kubectl.ok(["create", "secret", "docker-registry", "regcred", `--docker-server=127.0.0.1:${port}`, "--docker-username=puller", "--docker-password=s3cret"]);
      await kubectl.ok(["run", "withcreds", `--image=${image}`, "--overrides", JSON.stringify({ spec: { imagePullSecrets: [{ name: "regcred" }] } }), "--", "sleep", "600"]);
      await eventually(async () => (await pod("withcreds")).status.phase === "Running", 30_000, 200);
      assert.ok((await events("withcreds")).some((e) => e.reason === "Pulled" && e.message.startsWith(`Successfully pulled image "${image}"`)));
      await kubectl.ok(["delete", "pod", "withcreds", "--grace-period=1"]);
    } finally {
      registry.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("adopts running containers after a restart instead of restarting them", async () => {
    await apply(podYaml("survivor", `containers:
- name: app
  image: ${BUSYBOX_IMAGE}
  command: ["sleep", "600"]`));
    const before = await eventually(async () => { const s = await containerStatus("survivor"); return s.state?.running ? s : undefined; }, 30_000, 200);
    await server.stop();
    server = await start();
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "e2e-node"])), 60_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    const afterRestart = await containerStatus("survivor");
    assert.equal(afterRestart.containerID, before.containerID);
    assert.equal(afterRestart.restartCount, 0);
    assert.equal(afterRestart.state.running.startedAt, before.state.running.startedAt);
    assert.equal(await kubectl.ok(["exec", "survivor", "--", "echo", "still here"]), "still here\n");
    await kubectl.ok(["delete", "pod", "survivor", "--grace-period=1"]);
  });
});
