/**
 * Container logs from the files the runtime writes in the CRI format
 * (`<RFC3339Nano> <stream> <P|F> <text>`, one line each, P marking a line
 * split by the runtime), served as `kubectl logs` expects: plain text, with
 * tailLines, sinceSeconds/sinceTime, timestamps, limitBytes and follow.
 */
import { createReadStream, existsSync, statSync, watch } from "node:fs";
import { open } from "node:fs/promises";
import type { Writable } from "node:stream";

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceTime?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface LogLine { time: string; stream: string; partial: boolean; text: string }

export function parseLine(line: string): LogLine | null {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0) return null;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream: line.slice(a + 1, b), partial: tag === "P", text: c < 0 ? "" : line.slice(c + 1) };
}

/** Nanosecond timestamps compared as milliseconds. */
const timeMs = (t: string) => Date.parse(t);

function format(l: LogLine, o: LogOptions): string {
  const text = l.text + (l.partial ? "" : "\n");
  return o.timestamps ? `${l.time} ${text}` : text;
}

async function readLines(path: string): Promise<{ lines: string[]; size: number }> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    const text = buf.toString("utf8");
    const end = text.lastIndexOf("\n");
    return { lines: end < 0 ? [] : text.slice(0, end).split("\n"), size: end + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * Writes the log to out. With follow, keeps writing as the file grows until
 * `done()` says the container has stopped (and nothing more arrived) or the
 * reader goes away.
 */
export async function writeLog(path: string, out: Writable, o: LogOptions, done: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
  if (!existsSync(path)) return;
  let { lines, size: offset } = await readLines(path);
  let parsed = lines.map(parseLine).filter((l): l is LogLine => l !== null);
  if (o.sinceTime !== undefined) parsed = parsed.filter((l) => timeMs(l.time) >= o.sinceTime!);
  if (o.tailLines !== undefined) parsed = o.tailLines === 0 ? [] : parsed.slice(-o.tailLines);
  let budget = o.limitBytes ?? Infinity;
  const emit = (l: LogLine): boolean => {
    let s = format(l, o);
    if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString("utf8");
    budget -= Buffer.byteLength(s);
    out.write(s);
    return budget > 0;
  };
  for (const l of parsed) if (!emit(l)) return;
  if (!o.follow) return;
  let pending = "";
  const readMore = async (): Promise<boolean> => {
    const size = statSync(path).size;
    if (size <= offset) return true;
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(path, { start: offset, end: size - 1 })) chunks.push(chunk as Buffer);
    offset = size;
    const text = pending + Buffer.concat(chunks).toString("utf8");
    const end = text.lastIndexOf("\n");
    pending = text.slice(end + 1);
    if (end < 0) return true;
    for (const line of text.slice(0, end).split("\n")) {
      const l = parseLine(line);
      if (l && !emit(l)) return false;
    }
    return true;
  };
  await new Promise<void>((resolve) => {
    let busy = false;
    let finished = false;
    const finish = () => { if (finished) return; finished = true; watcher.close(); clearInterval(timer); resolve(); };
    const poll = async () => {
      if (busy || finished) return;
      busy = true;
      try {
        if (!(await readMore())) return finish();
        if (await done()) {
          await readMore();
          return finish();
        }
      } catch {
        finish();
      } finally {
        busy = false;
      }
    };
    const watcher = watch(path, () => void poll());
    // Watch events can be missed across log rotation; a slow poll backs them up.
    const timer = setInterval(() => void poll(), 500);
    signal.addEventListener("abort", finish, { once: true });
    out.once("close", finish);
  });
}
