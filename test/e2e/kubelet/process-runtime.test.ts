/**
 * The process runtime (`skiff server --runtime process`): containers are host
 * processes, with the kubelet's statuses, restarts, probes, logs and graceful
 * termination, and Services relayed in user space. Needs no containerd and no root.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Server as GrpcServer, ServerCredentials } from "@grpc/grpc-js";
import { decodeHealthCheckRequest, decodeHealthCheckResponse, encodeHealthCheckRequest, encodeHealthCheckResponse, HEALTH_CHECK_PATH } from "../../../src/kubelet/prober/grpc-health.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

describe("the process runtime", { skip: existsSync("/bin/busybox") ? false : "busybox is not installed" }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const scratch = mkdtempSync(join(tmpdir(), "skiff-process-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const pod = (name: string) => json(["get", "pod", name]);
  const status = async (name: string) => (await pod(name)).status.containerStatuses?.[0] ?? {};
  const apply = (yaml: string) => kubectl.ok(["apply", "-f", "-"], { input: yaml });

  before(async () => {
    server = await startServer({ runtime: "process", args: ["--kubelet-port", "0", "--node-name", "proc-node"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "proc-node"])), 30_000, 200);
  });
  after(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs a container's command as a host process on the node's address, with logs", async () => {
    const node = await json(["get", "node", "proc-node"]);
    assert.equal(node.status.nodeInfo.containerRuntimeVersion, "process://0.1");
    await kubectl.ok(["run", "hello", "--image=unused", "--env=WHO=skiff", "--command", "--", "sh", "-c", "echo hello $WHO; sleep 600"]);
    await eventually(async () => (await pod("hello")).status.phase === "Running", 20_000, 200);
    const p = await pod("hello");
    assert.equal(p.status.podIP, "127.0.0.1");
    assert.equal(p.status.hostIP, "127.0.0.1");
    assert.match(p.status.containerStatuses[0].containerID, /^process:\/\//);
    await eventually(async () => (await kubectl.ok(["logs", "hello"])) === "hello skiff\n", 10_000, 200);
  });

  it("gives a new pod's first container status.hostIP, hostIPs and podIP through the downward API", async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: addresses}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: unused
    command: ["sh", "-c", "echo host=$HOST_IP hosts=$HOST_IPS pod=$POD_IP"]
    env:
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: HOST_IPS, valueFrom: {fieldRef: {fieldPath: status.hostIPs}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
`);
    await eventually(async () => (await pod("addresses")).status.phase === "Succeeded", 20_000, 200);
    assert.equal(await kubectl.ok(["logs", "addresses"]), "host=127.0.0.1 hosts=127.0.0.1 pod=127.0.0.1\n");
  });

  it("watches a pod's many ConfigMaps without Node's MaxListenersExceededWarning", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    for (const n of names) await kubectl.ok(["create", "configmap", n, `--from-literal=${n.replace("-", "_")}=v`]);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: many-configmaps}
spec:
  containers:
  - name: main
    image: unused
    command: ["sleep", "600"]
    envFrom:
${names.map((n) => `    - configMapRef: {name: ${n}}`).join("\n")}
`);
    await eventually(async () => (await pod("many-configmaps")).status.phase === "Running", 20_000, 200);
    assert.doesNotMatch(server.stderr(), /MaxListenersExceededWarning/);
    await kubectl.ok(["delete", "pod", "many-configmaps", "--grace-period=1"]);
  });

  it("refuses a container without a command with a clear reason", async () => {
    await kubectl.ok(["run", "nocommand", "--image=nginx:1.27"]);
    const st = await eventually(async () => { const s = await status("nocommand"); return s.state?.waiting?.reason === "CreateContainerError" ? s : undefined; }, 20_000, 200);
    assert.match(st!.state.waiting.message, /process runtime .* needs its command/);
    const events = (await json(["get", "events", "--field-selector", "involvedObject.name=nocommand"])).items as Json[];
    assert.ok(events.some((e) => e.reason === "Failed" && /needs its command/.test(e.message)));
  });

  it("restarts a crashing process with back-off", async () => {
    await kubectl.ok(["run", "crash", "--image=unused", "--command", "--", "sh", "-c", "exit 4"]);
    const st = await eventually(async () => { const s = await status("crash"); return s.state?.waiting?.reason === "CrashLoopBackOff" ? s : undefined; }, 30_000, 200);
    assert.equal(st!.lastState.terminated.exitCode, 4);
    assert.ok(st!.restartCount >= 1);
  });

  it("probes a host-network server and reports it Ready", async () => {
    const port = await freePort();
    writeFileSync(join(scratch, "index.html"), "ok\n");
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: unused
    command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:${port}", "-h", "${scratch}"]
    readinessProbe: {httpGet: {path: /, port: ${port}}, periodSeconds: 1}
    livenessProbe: {tcpSocket: {port: ${port}}, periodSeconds: 1}
`);
    await eventually(async () => (await status("web")).ready === true, 30_000, 200);
  });

  it("runs a Job to completion and terminates gracefully with SIGTERM", async () => {
    await kubectl.ok(["create", "job", "once", "--image=unused", "--", "sh", "-c", "echo done"]);
    await kubectl.ok(["wait", "--for=condition=complete", "job/once", "--timeout=60s"]);
    assert.equal(await kubectl.ok(["logs", "job/once"]), "done\n");
    const out = join(scratch, "term");
    await kubectl.ok(["run", "graceful", "--image=unused", "--command", "--", "sh", "-c", `trap 'echo got-sigterm > ${out}; exit 0' TERM; while :; do sleep 0.2; done`]);
    await eventually(async () => (await pod("graceful")).status.phase === "Running", 20_000, 200);
    await new Promise((r) => setTimeout(r, 500));
    await kubectl.ok(["delete", "pod", "graceful"]);
    assert.equal(readFileSync(out, "utf8"), "got-sigterm\n");
  });

  it("relays Services in user space: the ClusterIP's loopback alias from pods, the NodePort on the node address", async () => {
    const port = await freePort();
    mkdirSync(join(scratch, "svc"));
    writeFileSync(join(scratch, "svc", "index.html"), "relayed\n");
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: backend, labels: {app: backend}}
spec:
  containers:
  - name: web
    image: unused
    command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:${port}", "-h", "${join(scratch, "svc")}"]
    readinessProbe: {httpGet: {path: /, port: ${port}}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: backend}
spec: {type: NodePort, selector: {app: backend}, ports: [{port: 8080, targetPort: ${port}}]}
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody}, ports: [{port: 8081}]}
`);
    await eventually(async () => (await status("backend")).ready === true, 30_000, 200);
    const svc = await json(["get", "service", "backend"]);
    const alias = `127.${svc.spec.clusterIP.split(".").slice(1).join(".")}`;
    await kubectl.ok(["run", "caller", "--image=unused", "--restart=Never", "--command", "--", "sh", "-c",
      "echo $BACKEND_SERVICE_HOST:$BACKEND_SERVICE_PORT; busybox wget -qO- http://$BACKEND_SERVICE_HOST:$BACKEND_SERVICE_PORT/"]);
    await eventually(async () => (await pod("caller")).status.phase === "Succeeded", 20_000, 200);
    assert.equal(await kubectl.ok(["logs", "caller"]), `${alias}:8080\nrelayed\n`);
    const nodePort = svc.spec.ports[0].nodePort as number;
    assert.equal(await (await fetch(`http://127.0.0.1:${nodePort}/`)).text(), "relayed\n");
    // A Service without a ready endpoint refuses at once.
    const nobody = await json(["get", "service", "nobody"]);
    const refused = await fetch(`http://127.${nobody.spec.clusterIP.split(".").slice(1).join(".")}:8081/`).then(() => "answered", (err: Error) => String((err.cause as Error | undefined)?.message ?? err));
    assert.match(refused, /ECONNRESET|ECONNREFUSED|socket/);
  });

  it("probes with the gRPC health protocol and reports the answer", async () => {
    let serving = 1;
    const health = new GrpcServer();
    health.addService({
      Check: {
        path: HEALTH_CHECK_PATH, requestStream: false, responseStream: false,
        requestSerialize: encodeHealthCheckRequest, requestDeserialize: decodeHealthCheckRequest,
        responseSerialize: encodeHealthCheckResponse, responseDeserialize: decodeHealthCheckResponse,
      },
    }, {
      Check: (call: { request: string }, done: (err: null, status: number) => void) => done(null, call.request === "web" ? serving : 3),
    });
    const port = await new Promise<number>((resolve, reject) => health.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    try {
      await apply(`apiVersion: v1
kind: Pod
metadata: {name: grpc}
spec:
  containers:
  - name: app
    image: unused
    command: ["sleep", "600"]
    readinessProbe: {grpc: {port: ${port}, service: web}, periodSeconds: 1}
`);
      await eventually(async () => (await status("grpc")).ready === true, 30_000, 200);
      serving = 2;
      await eventually(async () => (await status("grpc")).ready === false, 15_000, 200);
      const events = (await json(["get", "events", "--field-selector", "involvedObject.name=grpc"])).items as Json[];
      assert.ok(events.some((e) => e.reason === "Unhealthy" && /Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/.test(e.message)), JSON.stringify(events.map((e) => e.message)));
    } finally {
      health.forceShutdown();
    }
  });

  it("reports a process's CPU and memory to kubectl top", async () => {
    await kubectl.ok(["run", "spin", "--image=unused", "--command", "--", "sh", "-c", "while :; do :; done"]);
    await eventually(async () => (await pod("spin")).status.phase === "Running", 20_000, 200);
    const line = await eventually(async () => /^spin\s+(\d+)m\s+\d+Mi/m.exec((await kubectl.run(["top", "pod", "spin"])).stdout), 40_000, 1000);
    // A busy loop's share of a core depends on what else the machine runs; well above an idle process's is what is reported.
    assert.ok(Number(line![1]) >= 100, line![0]);
    await kubectl.ok(["delete", "pod", "spin", "--grace-period=1"]);
  });

  it("fails a Job at once when a pod's exit code matches a FailJob rule of its podFailurePolicy", async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: doomed}
spec:
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: unused, command: ["sh", "-c", "exit 42"]}
`);
    await kubectl.ok(["wait", "--for=condition=Failed", "job/doomed", "--timeout=60s"]);
    const job = await json(["get", "job", "doomed"]);
    const failed = (job.status.conditions as Json[]).find((c) => c.type === "Failed")!;
    assert.equal(failed.reason, "PodFailurePolicy");
    assert.match(failed.message, /^Container main for pod default\/doomed-\w+ failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(job.status.failed, 1, "no retry after the FailJob rule matched");
  });

  it("retries each index of an Indexed Job alone with backoffLimitPerIndex, and records the failed ones", async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: per-index}
spec:
  completionMode: Indexed
  completions: 4
  parallelism: 4
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: unused, command: ["sh", "-c", "test $JOB_COMPLETION_INDEX != 2"]}
`);
    await kubectl.ok(["wait", "--for=condition=Failed", "job/per-index", "--timeout=60s"]);
    const job = await json(["get", "job", "per-index"]);
    const failed = (job.status.conditions as Json[]).find((c) => c.type === "Failed")!;
    assert.equal(failed.reason, "FailedIndexes");
    assert.equal(failed.message, "Job has failed indexes");
    assert.equal(job.status.completedIndexes, "0-1,3");
    assert.equal(job.status.failedIndexes, "2");
    assert.equal(job.status.failed, 2, "index 2 ran twice: once, and once more within its limit of 1");
    const retry = (await json(["get", "pods", "-l", "batch.kubernetes.io/job-completion-index=2"])).items
      .map((p: Json) => p.metadata.annotations["batch.kubernetes.io/job-index-failure-count"]).sort();
    assert.deepEqual(retry, ["0", "1"]);
    await kubectl.ok(["delete", "job", "per-index"]);
  });

  it("runs kubectl exec as a host process with the container's environment and directory", async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: host-shell}
spec:
  containers:
  - {name: main, image: unused, command: ["sleep", "600"], workingDir: /tmp, env: [{name: GREETING, value: hello}]}
`);
    await eventually(async () => (await pod("host-shell")).status.phase === "Running", 20_000, 200);
    assert.equal(await kubectl.ok(["exec", "host-shell", "--", "sh", "-c", "echo $GREETING from $(pwd)"]), "hello from /tmp\n");
    assert.equal(await kubectl.ok(["exec", "-i", "host-shell", "--", "cat"], { input: "piped through\n" }), "piped through\n");
    const failed = await kubectl.run(["exec", "host-shell", "--", "sh", "-c", "echo oops >&2; exit 3"]);
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /oops/);
    assert.match(failed.stderr, /command terminated with exit code 3/);
    // With a terminal (script gives kubectl one), the refusal is clear.
    const cmd = `/usr/bin/kubectl --kubeconfig ${server.kubeconfig} --cache-dir ${kubectl.cacheDir} exec -it host-shell -- sh`;
    const tty = spawnSync("script", ["-qfec", cmd, "/dev/null"], { input: "", encoding: "utf8", timeout: 20_000 });
    assert.match(tty.stdout, /cannot give exec a terminal \(tty\): run without -t/);
    await kubectl.ok(["delete", "pod", "host-shell", "--grace-period=1"]);
  });

  it("shows a pod's volumes under SKIFF_CONTAINER_ROOT at their mount paths, and follows a ConfigMap change", async () => {
    await kubectl.ok(["create", "configmap", "settings", "--from-literal=greeting=hello"]);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: reader, labels: {app: reader}}
spec:
  containers:
  - name: c
    image: unused
    command: ["sh", "-c", "sleep 600"]
    volumeMounts:
    - {name: conf, mountPath: /etc/app}
    - {name: info, mountPath: /etc/podinfo}
  volumes:
  - {name: conf, configMap: {name: settings}}
  - name: info
    projected:
      sources:
      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
`);
    await eventually(async () => (await pod("reader")).status.phase === "Running", 20_000, 200);
    const read = async (path: string) => (await kubectl.ok(["exec", "reader", "--", "sh", "-c", `cat "$SKIFF_CONTAINER_ROOT${path}"`]));
    assert.equal(await read("/etc/app/greeting"), "hello");
    assert.equal(await read("/etc/podinfo/labels"), 'app="reader"');
    assert.equal(await read("/etc/podinfo/namespace"), "default");
    await kubectl.ok(["create", "configmap", "settings", "--from-literal=greeting=bonjour", "--dry-run=client", "-o", "yaml"]).then((y) => kubectl.ok(["apply", "-f", "-"], { input: y }));
    await eventually(async () => (await read("/etc/app/greeting")) === "bonjour", 30_000, 500);
    await kubectl.ok(["delete", "pod", "reader", "--grace-period=1"]);
  });

  it("mounts a volume's subPathExpr expanded from the container's environment, and refuses one that leaves the volume", async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: subpath-expr}
spec:
  containers:
  - name: c
    image: unused
    command: ["sh", "-c", "echo mine > \\"$SKIFF_CONTAINER_ROOT/mine/f\\"; sleep 600"]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    volumeMounts:
    - {name: data, mountPath: /all}
    - {name: data, mountPath: /mine, subPathExpr: "pods/$(POD_NAME)"}
  volumes:
  - {name: data, emptyDir: {}}
`);
    await eventually(async () => (await pod("subpath-expr")).status.phase === "Running", 20_000, 200);
    await eventually(async () => (await kubectl.run(["exec", "subpath-expr", "--", "sh", "-c", 'cat "$SKIFF_CONTAINER_ROOT/all/pods/subpath-expr/f"'])).stdout === "mine\n", 10_000, 200);
    await kubectl.ok(["delete", "pod", "subpath-expr", "--grace-period=1"]);

    await apply(`apiVersion: v1
kind: Pod
metadata: {name: subpath-escape}
spec:
  containers:
  - name: c
    image: unused
    command: ["sleep", "600"]
    env: [{name: UP, value: ".."}]
    volumeMounts: [{name: data, mountPath: /data, subPathExpr: "$(UP)"}]
  volumes:
  - {name: data, emptyDir: {}}
`);
    const waiting = await eventually(async () => (await status("subpath-escape")).state?.waiting?.reason === "CreateContainerConfigError" ? (await status("subpath-escape")).state.waiting : undefined, 20_000, 200);
    assert.equal(waiting!.message, "unable to provision SubPath `..`: must not contain '..'");
    await kubectl.ok(["delete", "pod", "subpath-escape", "--grace-period=1"]);
  });

  it("shows PodInitializing while init containers run, and fails a RestartPolicy=Never pod whose init container fails", async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: init-fails}
spec:
  restartPolicy: Never
  initContainers:
  - {name: init1, image: unused, command: ["sh", "-c", "sleep 2; exit 1"]}
  - {name: init2, image: unused, command: ["true"]}
  containers:
  - {name: app, image: unused, command: ["sleep", "600"]}
`);
    const running = await eventually(async () => { const p = await pod("init-fails"); return p.status.initContainerStatuses?.[0]?.state?.running ? p : undefined; }, 20_000, 100);
    assert.deepEqual(running!.status.containerStatuses[0].state, { waiting: { reason: "PodInitializing" } });
    assert.equal(running!.status.initContainerStatuses[1].state.waiting.reason, "PodInitializing");
    const failed = await eventually(async () => { const p = await pod("init-fails"); return p.status.phase === "Failed" ? p : undefined; }, 30_000, 200);
    const init = failed!.status.conditions.find((c: Json) => c.type === "Initialized");
    assert.deepEqual([init.status, init.reason, init.message], ["False", "ContainersNotInitialized", "containers with incomplete status: [init1 init2]"]);
    assert.equal(failed!.status.initContainerStatuses[0].state.terminated.exitCode, 1);
    assert.deepEqual(failed!.status.containerStatuses[0].state, { waiting: { reason: "PodInitializing" } }, "the app never started");
  });

  it("rejects a pod bound to the node whose host port a running pod holds (Failed, NodePorts), and runs it once the port is free", async () => {
    const holder = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: proc-node
  containers:
  - {name: main, image: unused, command: ["sleep", "600"], ports: [{containerPort: 21017, hostPort: 21017}]}
`;
    await apply(holder("port-holder"));
    await eventually(async () => (await pod("port-holder")).status.phase === "Running", 20_000, 200);
    await apply(holder("port-late"));
    const late = await eventually(async () => { const p = await pod("port-late"); return p.status.phase === "Failed" ? p : undefined; }, 20_000, 200);
    assert.equal(late!.status.reason, "NodePorts");
    assert.equal(late!.status.message, "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports");
    assert.ok(!(late!.status.containerStatuses ?? []).some((c: Json) => c.state?.running), "none of its containers ran");
    assert.match(await kubectl.ok(["get", "events", "--field-selector", "involvedObject.name=port-late,reason=NodePorts"]), /Warning\s+NodePorts/);
    await kubectl.ok(["delete", "pod", "port-holder", "port-late", "--grace-period=1"]);
    await apply(holder("port-again"));
    await eventually(async () => (await pod("port-again")).status.phase === "Running", 20_000, 200);
    await kubectl.ok(["delete", "pod", "port-again", "--grace-period=1"]);
  });

  it("fails a pod past its activeDeadlineSeconds, lowered on the running pod, and kills its process", async () => {
    const out = join(scratch, "deadline");
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: deadline}
spec:
  activeDeadlineSeconds: 600
  terminationGracePeriodSeconds: 2
  containers:
  - {name: c, image: unused, command: ["sh", "-c", "trap 'echo killed > ${out}; exit 0' TERM; while :; do sleep 0.2; done"]}
`);
    await eventually(async () => (await pod("deadline")).status.phase === "Running", 20_000, 200);
    await kubectl.ok(["patch", "pod/deadline", "-p", JSON.stringify({ spec: { activeDeadlineSeconds: 1 } })]);
    const failed = await eventually(async () => { const p = await pod("deadline"); return p.status.phase === "Failed" ? p : undefined; }, 30_000, 200);
    assert.equal(failed!.status.reason, "DeadlineExceeded");
    assert.equal(failed!.status.message, "Pod was active on the node longer than the specified deadline");
    await eventually(() => existsSync(out) && readFileSync(out, "utf8") === "killed\n", 20_000, 200);
    await eventually(async () => Boolean((await status("deadline")).state?.terminated), 20_000, 200);
    const events = (await json(["get", "events", "--field-selector", "involvedObject.name=deadline,reason=DeadlineExceeded"])).items as Json[];
    assert.equal(events[0]?.message, "Pod was active on the node longer than the specified deadline");
  });
});
