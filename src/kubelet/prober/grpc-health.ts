/**
 * The gRPC health checking protocol (grpc.health.v1.Health/Check), as
 * upstream's grpc probe speaks it: HealthCheckRequest { string service = 1 }
 * and HealthCheckResponse { ServingStatus status = 1 }, two messages small
 * enough to encode here rather than load a .proto for.
 */
import { Client, Metadata, credentials, status as grpcStatus, type ServiceError } from "@grpc/grpc-js";

export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
export const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service);
  return name.length ? Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]) : Buffer.alloc(0);
}

export function decodeHealthCheckRequest(buf: Buffer): string {
  return fields(buf).get(1)?.toString() ?? "";
}

export function encodeHealthCheckResponse(status: number): Buffer {
  return status ? Buffer.concat([Buffer.from([0x08]), varint(status)]) : Buffer.alloc(0);
}

export function decodeHealthCheckResponse(buf: Buffer): number {
  return Number(fields(buf).get(1) ?? 0);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

/** Field number to value (a number for varints, bytes for length-delimited fields); others are skipped. */
function fields(buf: Buffer): Map<number, number | Buffer> {
  const out = new Map<number, number | Buffer>();
  let i = 0;
  const readVarint = () => {
    let v = 0, shift = 0, b: number;
    do { b = buf[i++]!; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80 && i < buf.length);
    return v;
  };
  while (i < buf.length) {
    const key = readVarint();
    const type = key & 7;
    if (type === 0) out.set(key >>> 3, readVarint());
    else if (type === 2) { const len = readVarint(); out.set(key >>> 3, buf.subarray(i, i + len)); i += len; }
    else if (type === 1) i += 8;
    else if (type === 5) i += 4;
    else break;
  }
  return out;
}

/** One health check; ok only when the server answers SERVING. The output is upstream's wording. */
export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  const target = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const client = new Client(target, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(HEALTH_CHECK_PATH, (s: string) => encodeHealthCheckRequest(s), decodeHealthCheckResponse, service, new Metadata(), { deadline: Date.now() + timeoutMs },
      (err: ServiceError | null, status?: number) => {
        client.close();
        if (err) {
          const secs = `${timeoutMs / 1000}s`;
          if (err.code === grpcStatus.DEADLINE_EXCEEDED) resolve({ ok: false, output: `timeout: health rpc did not complete within ${secs}` });
          else if (err.code === grpcStatus.UNAVAILABLE) resolve({ ok: false, output: `timeout: failed to connect service "${target}" within ${secs}: ${err.details}` });
          else resolve({ ok: false, output: `error: health rpc probe failed: ${err.details || err.message}` });
          return;
        }
        const name = SERVING_STATUS[status ?? 0] ?? String(status);
        resolve(status === 1 ? { ok: true, output: "" } : { ok: false, output: `service unhealthy (responded with "${name}")` });
      });
  });
}
