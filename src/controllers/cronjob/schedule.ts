/**
 * Cron schedules as CronJobs use them: five fields (minute, hour, day of
 * month, month, day of week) with lists, ranges, steps, names and `?`, the
 * @yearly/@monthly/@weekly/@daily/@hourly macros, and a time zone (the
 * spec.timeZone field or a CRON_TZ=/TZ= prefix).
 */
const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface Schedule {
  minutes: Set<number>; hours: Set<number>; days: Set<number>; months: Set<number>; weekdays: Set<number>;
  /** Day-of-month and day-of-week restrict together only when both are given (cron's rule). */
  dayStar: boolean; weekdayStar: boolean;
  timeZone?: string;
}

function field(text: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in "${part}"`);
    const value = (v: string) => {
      const i = names?.indexOf(v.toLowerCase()) ?? -1;
      const n = i >= 0 ? i + (min === 1 ? 1 : 0) : Number(v);
      if (!Number.isInteger(n)) throw new Error(`bad value "${v}"`);
      return n;
    };
    let lo: number, hi: number;
    if (range === "*" || range === "?") [lo, hi] = [min, max];
    else if (range.includes("-")) { const [a, b] = range.split("-") as [string, string]; [lo, hi] = [value(a), value(b)]; }
    else { lo = value(range); hi = stepText === undefined ? lo : max; }
    if (lo < min || hi > max || lo > hi) throw new Error(`"${part}" is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(v === 7 && max === 7 ? 0 : v);
  }
  return out;
}

export function parseSchedule(text: string, timeZone?: string): Schedule {
  let s = text.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz) { timeZone = tz[1]; s = s.slice(tz[0].length); }
  s = MACROS[s] ?? s;
  const f = s.split(/\s+/);
  if (f.length !== 5) throw new Error(`expected exactly 5 fields, found ${f.length}: "${text}"`);
  return {
    minutes: field(f[0]!, 0, 59), hours: field(f[1]!, 0, 23), days: field(f[2]!, 1, 31), months: field(f[3]!, 1, 12, MONTHS),
    weekdays: field(f[4]!, 0, 7, DAYS), dayStar: f[2] === "*" || f[2] === "?", weekdayStar: f[4] === "*" || f[4] === "?", timeZone,
  };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of an instant in a time zone. */
function parts(t: number, timeZone = "UTC") {
  let fmt = formats.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    formats.set(timeZone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { minute: Number(p.minute), hour: Number(p.hour), day: Number(p.day), month: Number(p.month), weekday: DAYS.indexOf(String(p.weekday).toLowerCase()) };
}

export function matches(s: Schedule, t: number): boolean {
  const p = parts(t, s.timeZone);
  if (!s.minutes.has(p.minute) || !s.hours.has(p.hour) || !s.months.has(p.month)) return false;
  const dom = s.days.has(p.day);
  const dow = s.weekdays.has(p.weekday);
  if (s.dayStar || s.weekdayStar) return dom && dow;
  return dom || dow;
}

/** The first scheduled minute strictly after `after` (ms), searching at most ~5 years ahead. */
export function nextAfter(s: Schedule, after: number): number | undefined {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  const end = t + 5 * 366 * 24 * 3600_000;
  while (t < end) {
    if (matches(s, t)) return t;
    // A wrong hour cannot match for the rest of that hour: skip to the next one.
    const p = parts(t, s.timeZone);
    t += s.hours.has(p.hour) && s.months.has(p.month) ? 60_000 : (60 - p.minute) * 60_000;
  }
  return undefined;
}

/** Scheduled times in (from, to], the most recent last, at most `limit` of them. */
export function missedTimes(s: Schedule, from: number, to: number, limit = 100): number[] {
  const out: number[] = [];
  for (let t = nextAfter(s, from); t !== undefined && t <= to; t = nextAfter(s, t)) {
    out.push(t);
    if (out.length > limit) out.shift();
  }
  return out;
}
