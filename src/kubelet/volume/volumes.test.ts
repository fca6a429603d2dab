import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ConfigMap, PodSpec, Secret, ServiceAccountTokenProjection, Volume } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import { VolumeManager, type TokenSource } from "./volumes.js";

const root = mkdtempSync(join(tmpdir(), "skiff-volumes-"));
after(() => rmSync(root, { recursive: true, force: true }));

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The volume ServiceAccount admission gives every pod, as upstream's kube-api-access-xxxxx. */
const kubeApiAccess = (name = "kube-api-access-abcde", defaultMode?: number): Volume => ({
  name,
  projected: {
    ...(defaultMode !== undefined ? { defaultMode } : {}),
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ],
  },
});

let podCount = 0;
function newPod(volumes: Volume[], spec: Partial<PodSpec> = {}): Pod {
  const uid = `uid-${++podCount}`;
  return {
    metadata: { name: `p${podCount}`, namespace: "team", uid, labels: { b: "2", a: "1" } },
    spec: { serviceAccountName: "builder", nodeName: "n1", ...spec, volumes, containers: [{ name: "c", image: "x", volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/m/${v.name}` })) }] },
  };
}

function manager(objects: { configMaps?: Record<string, ConfigMap>; secrets?: Record<string, Secret> }, token: TokenSource = async (pod) => `token-for-${pod.metadata.name}`) {
  const sources = {
    configMap: (ns: string, name: string) => objects.configMaps?.[`${ns}/${name}`],
    secret: (ns: string, name: string) => objects.secrets?.[`${ns}/${name}`],
    services: () => [],
    persistentVolumeClaim: () => undefined,
    persistentVolume: () => undefined,
  };
  return new VolumeManager(join(root, `pods-${++podCount}`), sources, () => ({ cpu: "2", memory: "4Gi" }), token);
}

const mode = (p: string) => statSync(p).mode & 0o7777;
const rootCA = { "team/kube-root-ca.crt": { metadata: { name: "kube-root-ca.crt" }, data: { "ca.crt": CA } } };

describe("the volume manager", () => {
  it("makes an emptyDir world-writable (drwxrwxrwx) whatever the umask, as upstream", async () => {
    const umask = process.umask(0o077);
    try {
      const vm = manager({});
      const { paths, failed } = await vm.setUp(newPod([{ name: "scratch", emptyDir: {} }]));
      assert.deepEqual(failed, []);
      const dir = paths.get("scratch")!;
      assert.ok(statSync(dir).isDirectory());
      assert.equal(mode(dir), 0o777);
    } finally {
      process.umask(umask);
    }
  });

  it("writes kube-api-access: the token, ca.crt and namespace, through ..data, 0644 by default", async () => {
    const seen: { pod?: string; source: ServiceAccountTokenProjection }[] = [];
    const vm = manager({ configMaps: rootCA }, async (pod, source) => { seen.push({ pod: pod.metadata.name, source }); return "header.payload.sig"; });
    const pod = newPod([kubeApiAccess()]);
    const { paths, failed } = await vm.setUp(pod);
    assert.deepEqual(failed, []);
    const dir = paths.get("kube-api-access-abcde")!;
    assert.match(dir, /volumes\/kubernetes\.io~projected\/kube-api-access-abcde$/);
    assert.equal(readFileSync(join(dir, "token"), "utf8"), "header.payload.sig");
    assert.equal(readFileSync(join(dir, "ca.crt"), "utf8"), CA);
    assert.equal(readFileSync(join(dir, "namespace"), "utf8"), "team");
    assert.equal(readlinkSync(join(dir, "token")), "..data/token");
    assert.match(readlinkSync(join(dir, "..data")), /^\.\.\d{4}_/);
    for (const f of ["token", "ca.crt", "namespace"]) assert.equal(mode(join(dir, f)), 0o644, f);
    assert.deepEqual(seen, [{ pod: pod.metadata.name, source: { expirationSeconds: 3607, path: "token" } }]);
  });

  it("follows upstream's modes: defaultMode and items' modes, the token 0600 with an owner and 0640 with an fsGroup", async () => {
    const gid = process.getgid!(), uid = process.getuid!();
    const cases: { name: string; spec: Partial<PodSpec>; defaultMode?: number; token: number; ca: number }[] = [
      { name: "defaultMode 0440", spec: {}, defaultMode: 0o440, token: 0o440, ca: 0o440 },
      { name: "runAsUser on every container", spec: { securityContext: { runAsUser: uid } }, token: 0o600, ca: 0o644 },
      { name: "fsGroup", spec: { securityContext: { fsGroup: gid } }, token: 0o640, ca: 0o644 },
    ];
    for (const c of cases) {
      const vm = manager({ configMaps: rootCA });
      const { paths } = await vm.setUp(newPod([kubeApiAccess("kube-api-access-x", c.defaultMode)], c.spec));
      const dir = paths.get("kube-api-access-x")!;
      assert.equal(mode(join(dir, "token")), c.token, `${c.name}: token`);
      assert.equal(mode(join(dir, "ca.crt")), c.ca, `${c.name}: ca.crt`);
      if (c.spec.securityContext?.fsGroup !== undefined) assert.equal(statSync(join(dir, "token")).gid, gid);
    }
  });

  it("keeps the other volumes when the token cannot be fetched, and says why in upstream's words", async () => {
    const vm = manager({ configMaps: { ...rootCA, "team/app": { data: { "app.conf": "x=1" } } } }, async () => {
      throw new Error("failed to fetch token: the server could not find the requested resource");
    });
    const { paths, failed } = await vm.setUp(newPod([kubeApiAccess(), { name: "conf", configMap: { name: "app" } }]));
    assert.equal(readFileSync(join(paths.get("conf")!, "app.conf"), "utf8"), "x=1");
    assert.equal(paths.has("kube-api-access-abcde"), false, "a volume never written is not handed to the runtime");
    assert.deepEqual(failed.map((e) => [e.volume, e.message]), [["kube-api-access-abcde", "failed to fetch token: the server could not find the requested resource"]]);
  });

  it("keeps a written volume while its refresh fails, and rewrites it atomically when its source changes", async () => {
    const cms: Record<string, ConfigMap> = { "team/app": { data: { a: "1", b: "2" } } };
    const vm = manager({ configMaps: cms });
    const pod = newPod([{ name: "conf", configMap: { name: "app" } }]);
    const dir = (await vm.setUp(pod)).paths.get("conf")!;
    const first = readlinkSync(join(dir, "..data"));
    assert.equal((await vm.setUp(pod)).paths.get("conf"), dir);
    assert.equal(readlinkSync(join(dir, "..data")), first, "unchanged contents are not rewritten");
    cms["team/app"] = { data: { a: "3" } };
    await vm.setUp(pod);
    assert.notEqual(readlinkSync(join(dir, "..data")), first);
    assert.equal(readFileSync(join(dir, "a"), "utf8"), "3");
    assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith("..")), ["a"], "a key that went is gone from the volume");
    assert.equal(readdirSync(dir).filter((n) => n.startsWith("..") && n !== "..data").length, 1, "old payloads are removed");
    delete cms["team/app"];
    const { paths, failed } = await vm.setUp(pod);
    assert.equal(paths.get("conf"), dir);
    assert.deepEqual(failed.map((e) => e.message), ['configmap "app" not found']);
    assert.equal(readFileSync(join(dir, "a"), "utf8"), "3");
  });

  it("writes secrets' bytes as they are, items with their modes, and an optional missing secret as an empty volume", async () => {
    const bytes = Buffer.from([0, 255, 1]);
    const vm = manager({ secrets: { "team/creds": { data: { key: bytes.toString("base64"), other: Buffer.from("o").toString("base64") } } } });
    const { paths, failed } = await vm.setUp(newPod([
      { name: "s", secret: { secretName: "creds", items: [{ key: "key", path: "sub/k.bin", mode: 0o400 }] } },
      { name: "gone", secret: { secretName: "nope", optional: true } },
      { name: "p", projected: { sources: [{ secret: { name: "creds", items: [{ key: "missing", path: "m" }] } }] } },
    ]));
    const s = paths.get("s")!;
    assert.deepEqual(readFileSync(join(s, "sub/k.bin")), bytes);
    assert.equal(mode(join(s, "sub/k.bin")), 0o400);
    assert.equal(lstatSync(join(s, "sub")).isSymbolicLink(), true);
    assert.deepEqual(readdirSync(paths.get("gone")!).filter((n) => !n.startsWith("..")), []);
    assert.deepEqual(failed.map((e) => [e.volume, e.message]), [["p", "references non-existent secret key: missing"]]);
  });

  it("projects the downward API: fields, sorted labels, resource limits", async () => {
    const vm = manager({});
    const { paths } = await vm.setUp(newPod([{
      name: "info", projected: {
        sources: [{
          downwardAPI: {
            items: [
              { path: "name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "uid", fieldRef: { fieldPath: "metadata.uid" } },
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "node", fieldRef: { fieldPath: "spec.nodeName" } },
              { path: "sa", fieldRef: { fieldPath: "spec.serviceAccountName" } },
              { path: "cpu", resourceFieldRef: { containerName: "c", resource: "limits.cpu" } },
            ],
          },
        }],
      },
    }]));
    const dir = paths.get("info")!;
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    assert.match(read("name"), /^p\d+$/);
    assert.match(read("uid"), /^uid-\d+$/);
    assert.equal(read("labels"), 'a="1"\nb="2"');
    assert.equal(read("node"), "n1");
    assert.equal(read("sa"), "builder");
    assert.equal(read("cpu"), "2");
  });

  it("sets up only the volumes a container mounts, as upstream", async () => {
    let asked = 0;
    const vm = manager({}, async () => { asked++; return "t"; });
    const pod = newPod([kubeApiAccess()]);
    pod.spec.containers[0]!.volumeMounts = [];
    const { paths, failed } = await vm.setUp(pod);
    assert.equal(paths.size + failed.length + asked, 0);
  });
});
