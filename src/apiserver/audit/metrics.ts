/**
 * Upstream's audit families (k8s.io/apiserver/pkg/audit/metrics.go):
 * events sent to the backend, one policy level per request, and events a
 * backend failed to write, by plugin ("log" for --audit-log-path).
 */
import { Counter, type Registry } from "../../metrics/index.js";

export class AuditMetrics {
  private readonly events: Counter;
  private readonly errors: Counter;
  private readonly levels: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({ name: "apiserver_audit_event_total", help: "Counter of audit events generated and sent to the audit backend.", registers });
    this.errors = new Counter({ name: "apiserver_audit_error_total", help: "Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.", labelNames: ["plugin"], registers });
    this.levels = new Counter({ name: "apiserver_audit_level_total", help: "Counter of policy levels for audit events (1 per request).", labelNames: ["level"], registers });
  }

  event(): void {
    this.events.inc();
  }

  error(plugin: string): void {
    this.errors.inc({ plugin });
  }

  level(level: string): void {
    this.levels.inc({ level });
  }
}
