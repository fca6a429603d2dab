import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { runStoreConformance } from "../store-conformance.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "skiff-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));

runStoreConformance("sqlite", async () => new SqliteStore(join(dir, "conformance.db")));

it("sqlite: a reopened store keeps its objects and its revision", async () => {
  const path = join(dir, "reopen.db");
  const first = new SqliteStore(path);
  await first.create("/registry/pods/default/a", "A");
  const gone = await first.delete((await first.create("/registry/pods/default/b", "B")).key);
  await first.close();
  const second = new SqliteStore(path);
  assert.equal((await second.get("/registry/pods/default/a"))?.value, "A");
  assert.equal(await second.currentRevision(), gone.modRevision);
  const next = await second.create("/registry/pods/default/c", "C");
  assert.ok(next.modRevision > gone.modRevision);
  await second.close();
});
