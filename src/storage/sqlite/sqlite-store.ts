import Database from "better-sqlite3";
import type { Database as DB, Statement } from "better-sqlite3";
import {
  type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent,
  type WatchHandlers, type Watcher, StoreError, checkRequestSize, prefixEnd,
} from "../store.js";

/**
 * The embedded backend: an append-only log whose row id is the global revision
 * (the model kine proved), plus a small index of each key's current revision,
 * so that gets and current lists are index lookups and values are stored once. WAL mode with synchronous=NORMAL: a
 * committed transaction survives a crash of the process (not of the kernel).
 *
 * One process owns the file; its watchers are fed in-process after each commit.
 */
interface LogRow { key: string; rev: number; create_rev: number; deleted: number; value: string }
interface CurrentRow { key: string; rev: number; create_rev: number; value: string }

class SqliteWatcher implements Watcher {
  private queue: WatchEvent[] = [];
  private scheduled = false;
  closed = false;

  constructor(
    readonly start: string,
    readonly end: string,
    private readonly handlers: WatchHandlers,
    private readonly onClose: (w: SqliteWatcher) => void,
  ) {}

  push(event: WatchEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    setImmediate(() => this.handlers.onError(err));
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.queue;
    this.queue = [];
    for (const e of events) {
      if (this.closed) return;
      this.handlers.onEvent(e);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.onClose(this);
  }
}

export class SqliteStore implements Store {
  private readonly db: DB;
  private readonly watchers = new Set<SqliteWatcher>();
  private pending: { run: () => WatchEvent; resolve: (kv: KeyValue) => void; reject: (err: unknown) => void }[] = [];
  private readonly stmt: Record<string, Statement>;
  private compactRevision: number;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("cache_size = -65536");
    this.db.pragma("mmap_size = 268435456");
    this.db.pragma("temp_store = MEMORY");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS log (
        rev INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        create_rev INTEGER NOT NULL,
        prev_rev INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        value TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS log_key_rev ON log(key, rev);
      CREATE UNIQUE INDEX IF NOT EXISTS log_key_prev ON log(key, prev_rev);
      CREATE TABLE IF NOT EXISTS current (
        key TEXT PRIMARY KEY,
        rev INTEGER NOT NULL,
        create_rev INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      get: p("SELECT c.key, c.rev, c.create_rev, l.value FROM current c JOIN log l ON l.rev = c.rev WHERE c.key = ?"),
      insertLog: p("INSERT INTO log (key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, ?, ?)"),
      upsertCurrent: p("INSERT INTO current (key, rev, create_rev) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET rev = excluded.rev, create_rev = excluded.create_rev"),
      deleteCurrent: p("DELETE FROM current WHERE key = ?"),
      listCurrent: p("SELECT c.key, c.rev, c.create_rev, l.value FROM current c JOIN log l ON l.rev = c.rev WHERE c.key >= ? AND c.key < ? ORDER BY c.key LIMIT ?"),
      countCurrent: p("SELECT COUNT(*) AS n FROM current WHERE key >= ? AND key < ?"),
      listAt: p(`SELECT key, rev, create_rev, deleted, value FROM (
                   SELECT key, MAX(rev) AS rev, create_rev, deleted, value FROM log
                   WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key)
                 WHERE deleted = 0 ORDER BY key LIMIT ?`),
      since: p("SELECT key, rev, create_rev, deleted, value FROM log WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev"),
      prevOf: p("SELECT key, rev, create_rev, deleted, value FROM log WHERE key = ? AND rev < ? ORDER BY rev DESC LIMIT 1"),
      revision: p("SELECT seq FROM sqlite_sequence WHERE name = 'log'"),
      getMeta: p("SELECT value FROM meta WHERE name = ?"),
      setMeta: p("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"),
      compact: p(`DELETE FROM log WHERE rev <= @rev AND (deleted = 1 OR rev < (
                    SELECT MAX(l2.rev) FROM log l2 WHERE l2.key = log.key AND l2.rev <= @rev))`),
    };
    const row = this.stmt.getMeta.get("compact_rev") as { value: number } | undefined;
    this.compactRevision = row?.value ?? 0;
  }

  private rev(): number {
    const row = this.stmt.revision.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  private static kv(row: CurrentRow | LogRow): KeyValue {
    return { key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.rev };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const row = this.stmt.get.get(key) as CurrentRow | undefined;
    return row && SqliteStore.kv(row);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = options.startKey && options.startKey > prefix ? options.startKey : prefix;
    const end = prefixEnd(prefix);
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    const fetch = limit > 0 ? limit + 1 : -1;
    const read = this.db.transaction(() => {
      const current = this.rev();
      const at = options.revision && options.revision > 0 ? options.revision : current;
      if (at > current) throw new StoreError("FutureRevision", `revision ${at} is in the future`, current);
      if (at < this.compactRevision) {
        throw new StoreError("Compacted", `required revision ${at} has been compacted`, this.compactRevision);
      }
      const rows = (at === current
        ? this.stmt.listCurrent.all(start, end, fetch)
        : this.stmt.listAt.all(start, end, at, fetch)) as CurrentRow[];
      return { rows, at };
    });
    const { rows, at } = read();
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    return { items: rows.map(SqliteStore.kv), revision: at, more };
  }

  async count(prefix: string, startKey?: string): Promise<number> {
    const start = startKey && startKey > prefix ? startKey : prefix;
    return (this.stmt.countCurrent.get(start, prefixEnd(prefix)) as { n: number }).n;
  }

  /** One write, checked and applied inside the caller's transaction. */
  private applyWrite(key: string, value: string | undefined, expected: number | undefined, mode: "create" | "update" | "delete"): WatchEvent {
    const cur = this.stmt.get.get(key) as CurrentRow | undefined;
    if (mode === "create") {
      if (cur) throw new StoreError("KeyExists", `key ${key} already exists`);
    } else {
      if (!cur) throw new StoreError("NotFound", `key ${key} not found`);
      if (expected !== undefined && expected !== cur.rev) {
        throw new StoreError("Conflict", `key ${key} has revision ${cur.rev}, expected ${expected}`);
      }
    }
    const prevRev = cur ? cur.rev : (this.lastRevOf(key) ?? 0);
    // AUTOINCREMENT hands out the sequence plus one, and nothing else writes inside this transaction.
    const createRev = cur?.create_rev ?? this.rev() + 1;
    if (mode === "delete") {
      const info = this.stmt.insertLog.run(key, createRev, prevRev, 1, cur!.value);
      const rev = Number(info.lastInsertRowid);
      this.stmt.deleteCurrent.run(key);
      const prev = SqliteStore.kv(cur!);
      return { type: "DELETED", kv: { ...prev, modRevision: rev }, prevKv: prev };
    }
    const info = this.stmt.insertLog.run(key, createRev, prevRev, 0, value!);
    const rev = Number(info.lastInsertRowid);
    this.stmt.upsertCurrent.run(key, rev, createRev);
    const kv = { key, value: value!, createRevision: createRev, modRevision: rev };
    return mode === "create" ? { type: "ADDED", kv } : { type: "MODIFIED", kv, prevKv: SqliteStore.kv(cur!) };
  }

  private lastRevOf(key: string): number | undefined {
    const row = this.stmt.prevOf.get(key, Number.MAX_SAFE_INTEGER) as LogRow | undefined;
    return row?.rev;
  }

  /**
   * Group commit: writes that arrive in the same turn of the event loop share
   * one transaction. Each is checked in order as if alone; one that fails its
   * check fails alone. Nobody hears of a write before its transaction commits.
   */
  private commit(key: string, value: string | undefined, expected: number | undefined, mode: "create" | "update" | "delete"): Promise<KeyValue> {
    return new Promise((resolve, reject) => {
      this.pending.push({ run: () => this.applyWrite(key, value, expected, mode), resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    let results: ({ event: WatchEvent } | { error: unknown })[];
    try {
      results = this.db.transaction(() => batch.map((w) => {
        try {
          return { event: w.run() };
        } catch (error) {
          if (error instanceof StoreError) return { error };
          throw error;
        }
      }))();
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const [i, r] of results.entries()) {
      if ("error" in r) {
        batch[i]!.reject(r.error);
        continue;
      }
      for (const w of this.watchers) if (r.event.kv.key >= w.start && r.event.kv.key < w.end) w.push(r.event);
      batch[i]!.resolve(r.event.kv);
    }
  }

  async create(key: string, value: string): Promise<KeyValue> {
    checkRequestSize(key, value);
    return this.commit(key, value, undefined, "create");
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    checkRequestSize(key, value);
    return this.commit(key, value, expectedModRevision, "update");
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.commit(key, undefined, expectedModRevision, "delete");
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    const w = new SqliteWatcher(prefix, prefixEnd(prefix), handlers, (x) => this.watchers.delete(x));
    if (fromRevision < this.compactRevision) {
      w.fail(new StoreError("Compacted", `required revision ${fromRevision} has been compacted`, this.compactRevision));
      return w;
    }
    // better-sqlite3 is synchronous: the backlog read and the registration happen
    // with no write in between, so no event is lost or repeated.
    const rows = this.stmt.since.all(fromRevision, w.start, w.end) as LogRow[];
    for (const row of rows) w.push(this.eventFromLog(row));
    this.watchers.add(w);
    return w;
  }

  private eventFromLog(row: LogRow): WatchEvent {
    const kv = SqliteStore.kv(row);
    const prev = this.stmt.prevOf.get(row.key, row.rev) as LogRow | undefined;
    const prevKv = prev && !prev.deleted ? SqliteStore.kv(prev) : undefined;
    if (row.deleted) return { type: "DELETED", kv, prevKv: prevKv ?? kv };
    if (row.create_rev === row.rev) return { type: "ADDED", kv };
    return { type: "MODIFIED", kv, prevKv };
  }

  async currentRevision(): Promise<number> {
    return this.rev();
  }

  async compact(revision: number): Promise<void> {
    if (revision <= this.compactRevision) return;
    this.db.transaction(() => {
      this.stmt.compact.run({ rev: revision });
      this.stmt.setMeta.run("compact_rev", revision);
    })();
    // Running watchers already hold their backlog; only later watches from before this revision fail.
    this.compactRevision = revision;
  }

  async close(): Promise<void> {
    if (this.pending.length) this.flush();
    for (const w of [...this.watchers]) w.fail(new Error("store closed"));
    this.db.close();
  }
}
