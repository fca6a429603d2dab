/** Prometheus text exposition of the API server's own counters (decision 7 in DESIGN.md). */
export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latencySum = new Map<string, number>();
  private readonly latencyCount = new Map<string, number>();

  observe(verb: string, resource: string, code: number, seconds: number): void {
    const key = `verb="${verb}",resource="${resource}",code="${code}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lk = `verb="${verb}",resource="${resource}"`;
    this.latencySum.set(lk, (this.latencySum.get(lk) ?? 0) + seconds);
    this.latencyCount.set(lk, (this.latencyCount.get(lk) ?? 0) + 1);
  }

  render(extra: Record<string, number> = {}): string {
    const lines = [
      "# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.",
      "# TYPE apiserver_request_total counter",
      ...[...this.requests].map(([k, v]) => `apiserver_request_total{${k}} ${v}`),
      "# HELP apiserver_request_duration_seconds Response latency in seconds by verb and resource.",
      "# TYPE apiserver_request_duration_seconds summary",
      ...[...this.latencySum].flatMap(([k, v]) => [`apiserver_request_duration_seconds_sum{${k}} ${v}`, `apiserver_request_duration_seconds_count{${k}} ${this.latencyCount.get(k)}`]),
      "# HELP process_resident_memory_bytes Resident memory size in bytes.",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    ];
    for (const [name, value] of Object.entries(extra)) lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    return lines.join("\n") + "\n";
  }
}
