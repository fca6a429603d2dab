/**
 * A bounded fuzzer of the write path: random mutations of valid objects of
 * several kinds (type changes, deletions, huge strings, deep nesting, nulls,
 * wrong kinds, bad names, labels and quantities, unicode), sent as create,
 * update and every patch type. Every answer must be 2xx or 4xx, never a 5xx
 * or a dropped connection; afterwards everything stored must still be
 * readable by kubectl (get -o json, describe) and by @kubernetes/client-node.
 *
 * Fixed seed and bounds, so a failure replays: SKIFF_FUZZ_SEED=<seed>
 * (and SKIFF_FUZZ_COUNT=<n>) run the same requests again.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import https from "node:https";
import { describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { startControlPlane } from "../../helpers/control-plane.js";
import { kubectlFor } from "../../helpers/kubectl.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fuzzed bodies are anything

const SEED = Number(process.env.SKIFF_FUZZ_SEED ?? 20261202);
const COUNT = Number(process.env.SKIFF_FUZZ_COUNT ?? 1500);
const TIME_BUDGET_MS = 45_000;
const NS = "fuzz";

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  // A copy, so that a table's objects are never shared (and mutated, or nested in themselves).
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[int(xs.length)]!;
    return x && typeof x === "object" ? structuredClone(x) : x;
  };
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

interface Kind { kind: string; path: string; namespaced: boolean; seed: (name: string) => Obj; names?: string[] }

const CRD_GROUP = "fuzz.skiff.dev";
const kinds: Kind[] = [
  { kind: "Pod", path: "/api/v1", namespaced: true, seed: (name) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox:1.36", args: ["sleep", "1"], ports: [{ containerPort: 80, name: "http" }], resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1" } }, env: [{ name: "A", value: "b" }] }], restartPolicy: "Always", terminationGracePeriodSeconds: 0, tolerations: [{ key: "k", operator: "Exists" }] } }) },
  { kind: "Deployment", path: "/apis/apps/v1", namespaced: true, seed: (name) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas: 2, selector: { matchLabels: { app: name } }, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx", resources: { limits: { memory: "128Mi" } } }] } } } }) },
  { kind: "Service", path: "/api/v1", namespaced: true, seed: (name) => ({ apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }, { name: "m", port: 9090, targetPort: 9090 }] } }) },
  { kind: "ConfigMap", path: "/api/v1", namespaced: true, seed: (name) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, annotations: { note: "x" } }, data: { "a.conf": "x=1", b: "two" }, binaryData: { bin: "AAEC" } }) },
  { kind: "Secret", path: "/api/v1", namespaced: true, seed: (name) => ({ apiVersion: "v1", kind: "Secret", metadata: { name }, type: "Opaque", data: { password: "aHVudGVyMg==" }, stringData: { user: "admin" } }) },
  { kind: "Job", path: "/apis/batch/v1", namespaced: true, seed: (name) => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name }, spec: { backoffLimit: 1, completions: 1, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["true"] }] } } } }) },
  { kind: "Ingress", path: "/apis/networking.k8s.io/v1", namespaced: true, seed: (name) => ({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name }, spec: { rules: [{ host: "a.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] } }) },
  { kind: "CustomResourceDefinition", path: "/apis/apiextensions.k8s.io/v1", namespaced: false, seed: (name) => crd(name.split(".")[0]!), names: ["alphas", "betas"].map((p) => `${p}.${CRD_GROUP}`) },
  { kind: "Widget", path: `/apis/${CRD_GROUP}/v1`, namespaced: true, seed: (name) => ({ apiVersion: `${CRD_GROUP}/v1`, kind: "Widget", metadata: { name }, spec: { size: 3, color: "red", tags: ["a"], extra: { any: { thing: [1, "x"] } } } }) },
];

function crd(plural: string): Obj {
  const singular = plural.replace(/s$/, "");
  const kind = singular.charAt(0).toUpperCase() + singular.slice(1);
  return {
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: `${plural}.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP, scope: "Namespaced", names: { plural, singular, kind, listKind: `${kind}List` },
      versions: [{
        name: "v1", served: true, storage: true, subresources: { status: {} },
        additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
        schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer", minimum: 0 }, color: { type: "string", enum: ["red", "blue"] }, tags: { type: "array", items: { type: "string" } }, extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }, status: { type: "object", properties: { ready: { type: "boolean" } } } } } },
      }],
    },
  };
}

// ---- mutations ----------------------------------------------------------

const UNICODE = ["héllo", "日本語", "🚀🔥", "\u0000nul", "\ud800", "a\u202eb", "\u00ad", "Ω≈ç√", "\n\t\r", "💩".repeat(50)];
const BAD_NAMES = ["UPPER", "..", ".", "a/b", "a%2Fb", "-lead", "trail-", "x".repeat(300), "", "日本", "a_b", "a..b", "😀"];
const BAD_LABELS: Obj[] = [{ "a/b/c": "x" }, { "-x": "y" }, { x: "y".repeat(70) }, { "ex.com/": "v" }, { k: "bad value" }, { "": "v" }, { k: 5 }, { k: null }, { k: true }];
const QUANTITIES: Json[] = ["1", "100m", "1Gi", "1.5", "1e3", "-1", "lots", "1GiB", "", " 1", "0.0001", "9999999999999999999999Ei", 0.5, 1e308, -5, true, {}, []];

function randomScalar(r: Rng): Json {
  return r.pick<() => Json>([
    () => null, () => true, () => false, () => r.int(100), () => -r.int(1e6), () => r.next() * 1e3, () => 2 ** 31, () => 2 ** 63, () => 1e308, () => -0,
    () => "", () => "x", () => r.pick(UNICODE), () => String(r.int(1e9)), () => r.pick(QUANTITIES), () => "2026-12-02T01:00:00Z", () => "not-a-date",
  ])();
}

function randomValue(r: Rng, depth = 0): Json {
  if (depth > 2 || r.chance(0.6)) return randomScalar(r);
  if (r.chance(0.5)) return Array.from({ length: r.int(3) }, () => randomValue(r, depth + 1));
  const o: Obj = {};
  for (let i = r.int(3); i > 0; i--) o[r.pick(["a", "name", "image", "spec", "value", "$patch", "metadata"])] = randomValue(r, depth + 1);
  return o;
}

/** Deep nesting goes in as a marker, spliced into the JSON text after stringify (which would recurse). */
const deepMarker = (levels: number) => `__deep_${levels}__`;
function spliceDeep(text: string): string {
  return text.replace(/"__deep_(\d+)__"/g, (_, n: string) => {
    const levels = Number(n);
    let open = "";
    let close = "";
    for (let i = 0; i < levels; i++) {
      open += i % 2 ? "[" : '{"d":';
      close = (i % 2 ? "]" : "}") + close;
    }
    return `${open}1${close}`;
  });
}

function hugeString(r: Rng): string {
  return "z".repeat(r.pick([10_000, 200_000, 1_100_000, 1_600_000, 2_500_000]));
}

/** Every container (object or array) in a value, with the path to it. */
function containers(v: Json, path: (string | number)[] = [], out: { path: (string | number)[]; node: Obj | Json[] }[] = []) {
  if (v && typeof v === "object") {
    out.push({ path, node: v });
    for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) containers(x, [...path, k], out);
  }
  return out;
}

/** One random change somewhere in obj (in place). */
function mutate(r: Rng, obj: Obj, kind: Kind): string {
  const meta = (): Obj => (obj.metadata && typeof obj.metadata === "object" && !Array.isArray(obj.metadata) ? obj.metadata : (obj.metadata = {}));
  const spots = containers(obj);
  const { node, path } = spots[r.int(spots.length)]!;
  const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
  const key: string | number = keys.length && r.chance(0.8) ? r.pick(keys) : Array.isArray(node) ? node.length : r.pick(["extra", "image", "replicas", "data", "x"]);
  const set = (v: Json) => { (node as Record<string | number, Json>)[key] = v; };
  const where = [...path, key].join(".");
  const what = r.int(14);
  switch (what) {
    case 0: set(randomScalar(r)); return `type change at ${where}`;
    case 1: if (Array.isArray(node)) node.splice(Number(key), 1); else delete (node as Obj)[key]; return `delete ${where}`;
    case 2: set(hugeString(r)); return `huge string at ${where}`;
    case 3: set(deepMarker(r.pick([50, 300, 600, 6000]))); return `deep nesting at ${where}`;
    case 4: set(null); return `null at ${where}`;
    case 5: obj.kind = r.pick(["Foo", "pod", kind.kind === "Pod" ? "Service" : "Pod", 5, null, ""]); return "wrong kind";
    case 6: meta().name = r.pick(BAD_NAMES); return "bad name";
    case 7: meta().labels = r.pick(BAD_LABELS); return "bad labels";
    case 8: set(r.pick(QUANTITIES)); return `quantity-ish at ${where}`;
    case 9: set(r.pick(UNICODE)); return `unicode at ${where}`;
    case 10: set(randomValue(r)); return `random value at ${where}`;
    case 11: obj.apiVersion = r.pick(["v2", "apps/v1beta1", "", 1, null]); return "bad apiVersion";
    case 12: meta().annotations = r.pick<Json>([{ [r.pick(UNICODE)]: "v" }, { a: hugeString(r) }, { a: 1 }, "x", []]); return "bad annotations";
    default: set(Array.isArray(node) ? {} : []); return `array/object swap at ${where}`;
  }
}

// ---- requests -------------------------------------------------------------

interface Sent { method: string; path: string; type: string; body: string; note: string }
interface Answer { status: number | "dropped"; text: string }

function client(kubeconfig: string) {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8"));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  const agent = new https.Agent({
    keepAlive: true, maxSockets: 4,
    ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
    cert: Buffer.from(user["client-certificate-data"], "base64"),
    key: Buffer.from(user["client-key-data"], "base64"),
  });
  const send = (s: Sent): Promise<Answer> => new Promise((resolve) => {
    const req = https.request(cluster.server + s.path, { method: s.method, agent, headers: { "content-type": s.type, accept: "application/json" }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e) => resolve({ status: "dropped", text: String(e) }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ status: "dropped", text: String(e) }));
    req.end(s.body);
  });
  return { send, close: () => agent.destroy() };
}

function collection(k: Kind): string {
  const plural = k.kind === "Ingress" ? "ingresses" : k.kind === "CustomResourceDefinition" ? "customresourcedefinitions" : `${k.kind.toLowerCase()}s`;
  return `${k.path}${k.namespaced ? `/namespaces/${NS}` : ""}/${plural}`;
}

const NAMES = ["f-0", "f-1", "f-2", "f-3"];
const PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"] as const;

function jsonPatch(r: Rng, obj: Obj): Json {
  const paths = containers(obj).map((c) => "/" + c.path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/"));
  const ops: Json[] = [];
  for (let i = 1 + r.int(3); i > 0; i--) {
    const path = r.pick([...paths, "/spec/containers/-", "/metadata/labels/a~1b", "/nope/deeper", "", "/", "no-slash", "/spec/containers/99", "/metadata/name"]);
    ops.push(r.pick<Json>([
      { op: "add", path, value: randomValue(r) }, { op: "replace", path, value: randomValue(r) }, { op: "remove", path },
      { op: "move", from: r.pick(paths), path }, { op: "copy", from: r.pick(paths), path }, { op: "test", path, value: randomValue(r) },
      { op: r.pick(["nope", 5, null]), path }, { path }, "not-an-op",
    ]));
  }
  return r.chance(0.05) ? r.pick<Json>([{}, "x", [[]], null]) : ops;
}

function strategicDirectives(r: Rng, patch: Obj): void {
  const spots = containers(patch).filter((c) => !Array.isArray(c.node)) as { node: Obj }[];
  const { node } = spots[r.int(spots.length)]!;
  r.pick([
    () => { node.$patch = r.pick<Json>(["delete", "replace", "merge", "nonsense", 5]); },
    () => { node["$setElementOrder/containers"] = r.pick<Json>([[{ name: "c" }], [{ name: 5 }], "x", [null]]); },
    () => { node.$retainKeys = r.pick<Json>([["name"], "x", [1]]); },
    () => { node["$deleteFromPrimitiveList/args"] = r.pick<Json>([["sleep"], "x", {}]); },
    () => { node.containers = [{ name: "c", $patch: "delete" }, { $patch: "replace" }, 5] as Json; },
  ])();
}

function nextRequest(r: Rng, existing: Map<string, Obj>): Sent {
  const k = kinds[r.int(kinds.length)]!;
  const name = r.pick(k.names ?? NAMES);
  const obj = structuredClone(k.seed(name));
  const notes: string[] = [];
  const mutations = r.chance(0.3) ? 0 : 1 + r.int(2);
  for (let i = 0; i < mutations; i++) notes.push(mutate(r, obj, k));
  const stored = existing.get(`${k.kind}/${name}`);
  const base = collection(k);
  const op = stored ? r.pick(["create", "update", "update", "patch", "patch", "patch", "status", "garbage", "delete"]) : r.pick(["create", "create", "create", "patch", "garbage"]);
  const note = `${op} ${k.kind}/${name}: ${notes.join("; ") || "no mutation"}`;
  if (op === "garbage") {
    const body = r.pick(["{", "[]", "null", "\"x\"", "{\"a\":}", "\u0000\u0001", "a: b: c", "&a [*a, *a]", "---\n- a\n- b", "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"".repeat(3), "[".repeat(100_000), "{\"a\":".repeat(20_000)]);
    const type = r.pick(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf", "text/plain", ...PATCH_TYPES]);
    const method = r.pick(["POST", "PUT", "PATCH"]);
    return { method, path: method === "POST" ? base : `${base}/${name}`, type, body, note: `${note} (${type} garbage)` };
  }
  if (op === "delete") {
    // DeleteOptions as a body, in the query, or both; some of them wrong.
    const options = r.pick<Json>([{}, { gracePeriodSeconds: 0 }, { gracePeriodSeconds: "abc" }, { gracePeriodSeconds: -5 }, { propagationPolicy: r.pick(["Foreground", "Orphan", "Sideways", 5]) },
      { preconditions: r.pick<Json>([{ uid: "nope" }, { resourceVersion: "1" }, "x", 5]) }, { dryRun: r.pick<Json>([["All"], ["Nope"], "All", 5]) }, { orphanDependents: r.pick<Json>([true, "yes"]) }, null, 5, "x", [1]]);
    const query = r.pick(["", "?gracePeriodSeconds=0", "?gracePeriodSeconds=abc", "?propagationPolicy=Nope", "?dryRun=All", "?gracePeriodSeconds=99999999999999999999"]);
    const body = r.chance(0.3) ? "" : JSON.stringify(options);
    // (Not of CRDs: that would take the Widget CRD, and the custom resource under test, with it.)
    if (r.chance(0.1) && k.kind !== "CustomResourceDefinition") return { method: "DELETE", path: `${base}${query}`, type: "application/json", body, note: `deletecollection ${k.kind}: ${body}` };
    return { method: "DELETE", path: `${base}/${name}${query}`, type: "application/json", body, note: `delete ${k.kind}/${name}: ${body}` };
  }
  if (op === "create") return { method: "POST", path: base, type: r.chance(0.1) ? "application/yaml" : "application/json", body: JSON.stringify(obj), note };
  if (op === "update" || op === "status") {
    // An update starts from what is stored (its resourceVersion) half of the time.
    const meta = obj.metadata && typeof obj.metadata === "object" && !Array.isArray(obj.metadata) ? obj.metadata : {};
    const body = r.chance(0.5) ? { ...obj, metadata: { ...meta, resourceVersion: stored!.metadata.resourceVersion } } : obj;
    const sub = op === "status" && k.kind !== "ConfigMap" && k.kind !== "Secret" ? "/status" : "";
    return { method: "PUT", path: `${base}/${name}${sub}`, type: "application/json", body: JSON.stringify(body), note };
  }
  const type = r.pick(PATCH_TYPES);
  let patch: Json;
  if (type === "application/json-patch+json") patch = jsonPatch(r, stored ?? obj);
  else if (r.chance(0.5)) patch = obj;
  else {
    // A partial patch: one mutated branch of the object.
    const branch = r.pick(Object.keys(obj));
    patch = { [branch]: obj[branch] ?? null };
  }
  if (type === "application/strategic-merge-patch+json" && patch && typeof patch === "object" && !Array.isArray(patch) && r.chance(0.5)) strategicDirectives(r, patch);
  const query = type === "application/apply-patch+yaml" ? `?fieldManager=fuzz${r.chance(0.3) ? "&force=true" : ""}` : r.chance(0.2) ? "?fieldValidation=Strict" : "";
  return { method: "PATCH", path: `${base}/${name}${query}`, type, body: JSON.stringify(patch), note: `${note} (${type})` };
}

describe("API server fuzzing", () => {
  it(`answers random bad writes with 2xx or 4xx and keeps everything readable (seed ${SEED})`, async () => {
    await using cp = await startControlPlane();
    const http = client(cp.kubeconfig);
    const failures: string[] = [];
    const replay = `replay with SKIFF_FUZZ_SEED=${SEED} SKIFF_FUZZ_COUNT=${COUNT}`;
    try {
      const setup: Sent[] = [
        { method: "POST", path: "/api/v1/namespaces", type: "application/json", body: JSON.stringify({ metadata: { name: NS } }), note: "namespace" },
        { method: "POST", path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", type: "application/json", body: JSON.stringify(crd("widgets")), note: "crd" },
      ];
      for (const s of setup) assert.equal((await http.send(s)).status, 201, s.note);
      // The custom resource's endpoint appears once the CRD is established.
      const deadline = Date.now() + 10_000;
      while ((await http.send({ method: "GET", path: collection(kinds.at(-1)!), type: "application/json", body: "", note: "" })).status !== 200) {
        assert.ok(Date.now() < deadline, "the Widget CRD never became served");
        await new Promise((res) => setTimeout(res, 100));
      }

      const r = prng(SEED);
      const existing = new Map<string, Obj>();
      const started = Date.now();
      const statuses = new Map<number | string, number>();
      let sent = 0;
      for (; sent < COUNT && Date.now() - started < TIME_BUDGET_MS; sent++) {
        const req = nextRequest(r, existing);
        req.body = spliceDeep(req.body);
        const t0 = Date.now();
        const answer = await http.send(req);
        if (process.env.SKIFF_FUZZ_VERBOSE) console.log(`#${sent} ${Date.now() - t0}ms ${answer.status} ${req.method} ${req.path} [${req.type}] ${req.note.slice(0, 200)} :: ${answer.text.slice(0, 200)}`);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === "dropped" || answer.status >= 500 || answer.status < 200) {
          failures.push(`#${sent} ${req.method} ${req.path} [${req.type}] ${req.note}\n  body: ${req.body.slice(0, 300)}\n  answer: ${answer.status} ${answer.text.slice(0, 500)}`);
          continue;
        }
        if (answer.status < 300 && req.method !== "GET") {
          try {
            const o = JSON.parse(answer.text) as Obj;
            const m = o.metadata as Obj | undefined;
            if (o.kind && o.kind !== "Status" && typeof m?.name === "string") {
              const kind = kinds.find((k) => k.kind === o.kind)?.kind ?? req.path.split("/").slice(-1)[0];
              existing.set(`${kind}/${m.name}`, o);
            }
          } catch {
            failures.push(`#${sent} ${req.method} ${req.path}: a 2xx answer that is not JSON: ${answer.text.slice(0, 200)}`);
          }
        }
      }
      console.log(`fuzz seed ${SEED}: ${sent} requests in ${Date.now() - started} ms, answers ${JSON.stringify(Object.fromEntries(statuses))}`);
      if (failures.length) console.log(failures.slice(0, 15).join("\n"));
      assert.deepEqual(failures, [], `${failures.length} bad answers (${replay}):\n${failures.slice(0, 15).join("\n")}`);

      // Everything stored reads back: kubectl decodes into its typed structs (describe), lists parse.
      const kubectl = kubectlFor(cp.kubeconfig);
      const resources = ["pods", "deployments", "services", "configmaps", "secrets", "jobs", "ingresses", "customresourcedefinitions", `widgets.${CRD_GROUP}`];
      const trace = (what: string) => { if (process.env.SKIFF_FUZZ_VERBOSE) console.log(`checking ${what}`); };
      for (const res of resources) {
        trace(res);
        const listed = await kubectl.run(["get", res, "-A", "-o", "json"], { timeoutMs: 20_000 });
        assert.equal(listed.code, 0, `kubectl get ${res} -A -o json (${replay}): ${listed.stderr}`);
        assert.doesNotThrow(() => JSON.parse(listed.stdout), `kubectl get ${res} -o json printed JSON`);
        trace(`${res} table`);
        const table = await kubectl.run(["get", res, "-A"], { timeoutMs: 20_000 });
        assert.equal(table.code, 0, `kubectl get ${res} -A (${replay}): ${table.stderr}`);
        trace(`${res} describe`);
        const described = await kubectl.run(res === "customresourcedefinitions" ? ["describe", res] : ["describe", res, "-n", NS], { timeoutMs: 20_000 });
        assert.equal(described.code, 0, `kubectl describe ${res} (${replay}): ${described.stderr}`);
      }

      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cp.kubeconfig);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const batch = kc.makeApiClient(k8s.BatchV1Api);
      const net = kc.makeApiClient(k8s.NetworkingV1Api);
      const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const namespace = NS;
      const lists: [string, () => Promise<{ items: unknown[] }>][] = [
        ["pods", () => core.listNamespacedPod({ namespace })],
        ["services", () => core.listNamespacedService({ namespace })],
        ["configmaps", () => core.listNamespacedConfigMap({ namespace })],
        ["secrets", () => core.listNamespacedSecret({ namespace })],
        ["deployments", () => apps.listNamespacedDeployment({ namespace })],
        ["jobs", () => batch.listNamespacedJob({ namespace })],
        ["ingresses", () => net.listNamespacedIngress({ namespace })],
        ["customresourcedefinitions", () => ext.listCustomResourceDefinition()],
        ["widgets", () => custom.listNamespacedCustomObject({ group: CRD_GROUP, version: "v1", namespace, plural: "widgets" }) as Promise<{ items: unknown[] }>],
      ];
      for (const [what, list] of lists) {
        trace(`client-node ${what}`);
        const result = await list().catch((err: unknown) => assert.fail(`@kubernetes/client-node lists ${what} (${replay}): ${String(err)}`));
        assert.ok(Array.isArray(result.items), `${what} list has items`);
      }
    } finally {
      http.close();
    }
  });
});
