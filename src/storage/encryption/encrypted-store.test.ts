import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Secret } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../api/kube-object.js";
import { builtinResources } from "../../api/resources.js";
import { ObjectStore } from "../../apiserver/registry/object-store.js";
import { EtcdStore } from "../etcd/etcd-store.js";
import { SqliteStore } from "../sqlite/sqlite-store.js";
import { runStoreConformance } from "../store-conformance.js";
import type { Store, WatchEvent } from "../store.js";
import { aesCbcTransformer } from "./aes-cbc.js";
import { aesGcmTransformer } from "./aes-gcm.js";
import { EncryptedStore } from "./encrypted-store.js";
import { identityTransformer } from "./transformer.js";

const dir = mkdtempSync(join(tmpdir(), "skiff-encrypted-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const oldKey = aesCbcTransformer("old", Buffer.alloc(32, 1));
const newKey = aesGcmTransformer("new", Buffer.alloc(32, 2));
let n = 0;
const freshSqlite = () => new SqliteStore(join(dir, `store-${n++}.db`));

// Every conformance key is under /registry/, so "*.*" encrypts all of them; the plaintext value must never
// reach the backend, which the suite cannot see, so one backend in the middle checks it.
runStoreConformance("sqlite, encrypted", async () => new EncryptedStore(new PlaintextTrap(freshSqlite()), [{ prefixes: ["/registry/"], transformers: [newKey, oldKey] }]));
// Encrypted values are binary strings: etcd must keep every byte too (CI names a local etcd, as for its own suite).
if (process.env.SKIFF_TEST_ETCD) {
  runStoreConformance("etcd, encrypted", async () => new EncryptedStore(new PlaintextTrap(new EtcdStore([process.env.SKIFF_TEST_ETCD!])), [{ prefixes: ["/registry/"], transformers: [oldKey, newKey] }]));
}
runStoreConformance("sqlite, encrypted with aescbc", async () => new EncryptedStore(freshSqlite(), [{ prefixes: ["/registry/"], transformers: [oldKey] }]));

describe("EncryptedStore", () => {
  const secretKey = "/registry/secrets/default/s";

  it("encrypts only keys under its prefixes, with the first transformer's prefix", async () => {
    const raw = freshSqlite();
    const store = new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [newKey, identityTransformer] }]);
    await store.create(secretKey, '{"data":"päss"}');
    await store.create("/registry/configmaps/default/c", '{"data":"plain"}');
    await store.create("/registry/secretsextra/default/x", "not a secret");
    assert.ok((await raw.get(secretKey))!.value.startsWith("k8s:enc:aesgcm:v1:new:"));
    assert.ok(!(await raw.get(secretKey))!.value.includes("päss"));
    assert.equal((await raw.get("/registry/configmaps/default/c"))!.value, '{"data":"plain"}');
    assert.equal((await raw.get("/registry/secretsextra/default/x"))!.value, "not a secret");
    assert.deepEqual(await store.get(secretKey), { ...(await raw.get(secretKey))!, value: '{"data":"päss"}' });
    await store.close();
  });

  it("reads old keys and identity, marking those values stale, until they are rewritten", async () => {
    const raw = freshSqlite();
    await raw.create("/registry/secrets/default/plain", "plaintext");
    await new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [oldKey] }]).create("/registry/secrets/default/old", "was old");
    const rotated = new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [newKey, oldKey, identityTransformer] }]);
    const list = await rotated.list("/registry/secrets/");
    assert.deepEqual(list.items.map((kv) => [kv.value, kv.stale]), [["was old", true], ["plaintext", true]]);
    const old = (await rotated.get("/registry/secrets/default/old"))!;
    await rotated.update(old.key, old.value, old.modRevision);
    assert.equal((await rotated.get(old.key))!.stale, undefined);
    assert.ok((await raw.get(old.key))!.value.startsWith("k8s:enc:aesgcm:v1:new:"));
    // Without the old key or identity, the value cannot be read: an error that names the key, not a guess.
    const forgetful = new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [newKey] }]);
    await assert.rejects(forgetful.get("/registry/secrets/default/plain"), /default\/plain from storage: no matching prefix found/);
    await assert.rejects(forgetful.list("/registry/secrets/"), /no matching prefix/);
    await raw.close();
  });

  it("decrypts watch events' kv and prevKv, and the kv a delete returns", async () => {
    const store = new EncryptedStore(freshSqlite(), [{ prefixes: ["/registry/secrets/"], transformers: [newKey] }]);
    const start = await store.currentRevision();
    const events: WatchEvent[] = [];
    let watcher: { close(): void } | undefined;
    const got = new Promise<void>((resolve) => {
      watcher = store.watch("/registry/secrets/", start, { onEvent: (e) => { events.push(e); if (events.length === 3) resolve(); }, onError: (e) => assert.fail(e) });
    });
    const a = await store.create(secretKey, "v1");
    await store.update(secretKey, "v2", a.modRevision);
    assert.equal((await store.delete(secretKey)).value, "v2");
    await got;
    watcher!.close();
    assert.deepEqual(events.map((e) => [e.type, e.kv.value, e.prevKv?.value]), [["ADDED", "v1", undefined], ["MODIFIED", "v2", "v1"], ["DELETED", "v2", events[2]!.prevKv && "v2"]]);
    await store.close();
  });

  it("ends a watch with an error when a value cannot be read", async () => {
    const raw = freshSqlite();
    const store = new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [newKey] }]);
    const err = new Promise<Error>((resolve) => {
      store.watch("/registry/secrets/", 0, { onEvent: () => assert.fail("no event expected"), onError: resolve });
    });
    await raw.create(secretKey, "plaintext nobody can read");
    assert.match((await err).message, /no matching prefix/);
    await raw.close();
  });

  it("a no-op update through the object store rewrites a stale secret under the new key", async () => {
    const raw = freshSqlite();
    const info = builtinResources.find((r) => r.kind === "Secret" && r.group === "")!;
    const before = new ObjectStore(new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [identityTransformer] }]));
    await before.create(info, "default", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { password: Buffer.from("hunter2").toString("base64") } });
    assert.ok((await raw.get(secretKey))!.value.includes("aHVudGVyMg=="));
    const encrypted = new EncryptedStore(raw, [{ prefixes: ["/registry/secrets/"], transformers: [oldKey, identityTransformer] }]);
    const after = new ObjectStore(encrypted);
    const current = await after.get(info, "default", "s");
    const { object } = await after.update(info, "default", "s", current);
    assert.notEqual(object.metadata.resourceVersion, current.metadata.resourceVersion, "written although unchanged");
    assert.ok((await raw.get(secretKey))!.value.startsWith("k8s:enc:aescbc:v1:old:"));
    // Now fresh: the next no-op update is skipped as before.
    const again = await after.update(info, "default", "s", await after.get(info, "default", "s"));
    assert.equal(again.object.metadata.resourceVersion, object.metadata.resourceVersion);
    assert.equal(((await after.get(info, "default", "s")) as Kube<Secret>).data?.password, "aHVudGVyMg==");
    await raw.close();
  });
});

/** A pass-through Store that fails any write whose value is not encrypted. */
class PlaintextTrap implements Store {
  constructor(private readonly inner: Store) {}
  private check(value: string): string {
    assert.ok(value.startsWith("k8s:enc:"), "a plaintext value reached the backend");
    return value;
  }
  get = (key: string) => this.inner.get(key);
  list: Store["list"] = (prefix, options) => this.inner.list(prefix, options);
  count: Store["count"] = (prefix, startKey) => this.inner.count(prefix, startKey);
  create = (key: string, value: string) => this.inner.create(key, this.check(value));
  update = (key: string, value: string, rev: number) => this.inner.update(key, this.check(value), rev);
  delete: Store["delete"] = (key, rev) => this.inner.delete(key, rev);
  watch: Store["watch"] = (prefix, rev, handlers) => this.inner.watch(prefix, rev, handlers);
  currentRevision = () => this.inner.currentRevision();
  compact = (rev: number) => this.inner.compact(rev);
  close = () => this.inner.close();
}
