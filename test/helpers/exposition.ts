/** Reading Prometheus' text exposition format as a user of /metrics reads it. */

/** The samples of a text exposition, as a user reads them: `name{labels}` (labels sorted) to value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(labels.length ? `${m[1]}{${labels.join(",")}}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** The sum of a family's samples whose labels include `labels` (every series of it, with none given). */
export function total(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of m) {
    const brace = key.indexOf("{");
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const pairs = brace < 0 ? [] : key.slice(brace + 1, -1).split(/,(?=\w+=")/);
    if (Object.entries(labels).every(([k, v]) => pairs.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}
