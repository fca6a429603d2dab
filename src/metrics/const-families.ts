/**
 * Families computed afresh at each scrape and written as they are
 * (component-base's NewLazyConstMetric), for what prom-client cannot hold:
 * samples with their own timestamp (NewLazyMetricWithTimestamp), and series
 * that exist only while the thing they describe does. Written in the text
 * format as client_golang writes it: families by name, series by label
 * values, labels by name, numbers as Go's strconv 'g', empty families left out.
 */

export interface ConstSample {
  labels?: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, written after the value. */
  timestampMs?: number;
}

export interface ConstFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: ConstSample[];
}

export function renderConstFamilies(families: ConstFamily[]): string {
  const out: string[] = [];
  for (const f of [...families].sort((a, b) => compare(a.name, b.name))) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    const lines = f.samples.map((s) => {
      const names = Object.keys(s.labels ?? {}).sort(compare);
      const values = names.map((n) => s.labels![n]!);
      const labels = names.length ? `{${names.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`).join(",")}}` : "";
      const ts = s.timestampMs === undefined ? "" : ` ${Math.round(s.timestampMs)}`;
      return { values, line: `${f.name}${labels} ${formatFloat(s.value)}${ts}` };
    });
    lines.sort((a, b) => compareValues(a.values, b.values));
    for (const l of lines) out.push(l.line);
  }
  return out.length ? out.join("\n") + "\n" : "";
}

/**
 * A number as Go's strconv.FormatFloat(v, 'g', -1, 64), which client_golang
 * writes: the shortest digits that read back the same, with an exponent of
 * two digits at least when it is below -4 or from 6 up (1234567 is
 * 1.234567e+06).
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return "0";
  const e = v.toExponential();
  const exp = Number(e.slice(e.indexOf("e") + 1));
  if (exp < -4 || exp >= 6) return e.replace(/e([+-])(\d)$/, "e$10$2");
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareValues(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compare(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
}
