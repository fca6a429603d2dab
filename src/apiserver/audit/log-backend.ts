/**
 * The audit log backend (--audit-log-path): one JSON Event a line, appended
 * as each stage happens (upstream's default "blocking" mode), to a 0600 file
 * or to stdout for "-". Rotation as upstream's (lumberjack): past maxSize MB
 * the file is renamed NAME-<UTC time>.EXT and a new one begun; backups beyond
 * maxBackups or older than maxAge days are removed (0: keep them).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import type { AuditBackend } from "./auditor.js";
import type { Event } from "./types.js";

import type { AuditMetrics } from "./metrics.js";
export interface LogBackendOptions {
  /** A file, or "-" for stdout. */
  path: string;
  /** --audit-log-maxage: days to keep rotated files (0: no limit). */
  maxAgeDays?: number;
  /** --audit-log-maxbackup: rotated files to keep (0: no limit). */
  maxBackups?: number;
  /** --audit-log-maxsize: megabytes before rotation (0: lumberjack's default, 100). */
  maxSizeMB?: number;
  now?: () => Date;
  /** Where a failed write is reported; it never fails the request. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** A failed write counts in apiserver_audit_error_total{plugin="log"}. */
  metrics?: AuditMetrics;
}

const DEFAULT_MAX_SIZE_MB = 100;

export class LogBackend implements AuditBackend {
  private fd?: number;
  private size = 0;
  private readonly maxBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: LogBackendOptions) {
    this.maxBytes = (options.maxSizeMB || DEFAULT_MAX_SIZE_MB) * 1024 * 1024;
    this.now = options.now ?? (() => new Date());
    // Opened at once, so a path that cannot be written fails the server's start, as upstream.
    if (options.path !== "-") this.open();
  }

  processEvent(event: Event): void {
    const line = JSON.stringify(event) + "\n";
    if (this.options.path === "-") {
      process.stdout.write(line);
      return;
    }
    try {
      const bytes = Buffer.byteLength(line);
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      writeSync(this.fd ?? this.open(), line);
      this.size += bytes;
    } catch (err) {
      this.options.metrics?.error("log");
      this.options.log?.("audit log write failed", { path: this.options.path, err: String(err), auditID: event.auditID });
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    // As upstream, the log's directory is made when missing.
    mkdirSync(dirname(this.options.path), { recursive: true, mode: 0o700 });
    this.fd = openSync(this.options.path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
    return this.fd;
  }

  private rotate(): void {
    this.close();
    const path = this.options.path;
    const ext = extname(path);
    const stem = basename(path, ext);
    const stamp = this.now().toISOString().replace(/:/g, "-").replace("Z", "");
    renameSync(path, join(dirname(path), `${stem}-${stamp}${ext}`));
    this.open();
    this.removeOldBackups(stem, ext);
  }

  private removeOldBackups(stem: string, ext: string): void {
    const { maxBackups = 0, maxAgeDays = 0 } = this.options;
    if (!maxBackups && !maxAgeDays) return;
    const dir = dirname(this.options.path);
    const pattern = new RegExp(`^${escape(stem)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})${escape(ext)}$`);
    const backups = readdirSync(dir).filter((f) => pattern.test(f)).sort().reverse();
    const cutoff = this.now().getTime() - maxAgeDays * 86_400_000;
    backups.forEach((f, i) => {
      // A backup's age is the time in its name, as lumberjack's.
      const stamp = pattern.exec(f)![1]!.replace(/T(\d{2})-(\d{2})-(\d{2})/, "T$1:$2:$3") + "Z";
      const old = maxAgeDays > 0 && Date.parse(stamp) < cutoff;
      if ((maxBackups > 0 && i >= maxBackups) || old) rmSync(join(dir, f), { force: true });
    });
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
