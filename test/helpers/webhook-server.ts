/**
 * An admission webhook server for tests: HTTPS on loopback with a
 * certificate from a CA of its own (made with openssl), answering
 * AdmissionReviews by path with the handler a test sets, and keeping every
 * request it was sent; any other review (a CRD's ConversionReview) is
 * answered whole by a handler of its path. `await using` stops it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The request part of an AdmissionReview, as far as tests look at it. */
export interface ReviewRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: { group: string; version: string; kind: string };
  requestResource: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; groups?: string[] };
  object: { metadata?: { name?: string; generateName?: string; labels?: Record<string, string> } } | null;
  oldObject: { metadata?: { name?: string; labels?: Record<string, string> } } | null;
  dryRun: boolean;
  options: { kind?: string; apiVersion?: string; dryRun?: string[]; fieldManager?: string } | null;
}

export interface ReceivedReview { path: string; query: string; apiVersion: string; request: ReviewRequest }

/** What a handler answers; patch is a JSON patch (the server base64-encodes it). */
export interface ReviewAnswer {
  allowed: boolean;
  status?: { code?: number; reason?: string; message?: string };
  patch?: unknown[];
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
}

export type ReviewHandler = (review: ReceivedReview) => ReviewAnswer;

export interface WebhookServer extends AsyncDisposable {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The CA's certificate, base64 of PEM, as clientConfig.caBundle holds it. */
  caBundle: string;
  /** Every review received, in order. */
  received: ReceivedReview[];
  /** Sets the handler of a path (`/deny`); an unknown path is allowed. */
  handle(path: string, handler: ReviewHandler): void;
  /** Sets the handler of a path that answers the whole review it is sent (a ConversionReview), not kept in received. */
  handleReview(path: string, handler: (review: unknown) => unknown): void;
  close(): Promise<void>;
}

/** A CA and a serving certificate for 127.0.0.1, localhost and dnsNames (a Service's `<svc>.<ns>.svc`). */
export function makeCertificates(dir: string, dnsNames: string[]): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=skiff-test-webhook-ca"]);
  run(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=skiff-test-webhook"]);
  const sans = ["IP:127.0.0.1", "DNS:localhost", ...dnsNames.map((d) => `DNS:${d}`)].join(",");
  writeFileSync(join(dir, "ext.cnf"), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "ext.cnf"]);
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { ca: read("ca.crt"), cert: read("server.crt"), key: read("server.key") };
}

export async function startWebhookServer(options: { dnsNames?: string[] } = {}): Promise<WebhookServer> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-webhook-"));
  let pki;
  try {
    pki = makeCertificates(dir, options.dnsNames ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const handlers = new Map<string, ReviewHandler>();
  const reviewHandlers = new Map<string, (review: unknown) => unknown>();
  const received: ReceivedReview[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://webhook");
      let review: { apiVersion: string; request: ReviewRequest };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end("not JSON");
        return;
      }
      const whole = reviewHandlers.get(url.pathname);
      if (whole) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(whole(review)));
        return;
      }
      const got: ReceivedReview = { path: url.pathname, query: url.search, apiVersion: review.apiVersion, request: review.request };
      received.push(got);
      const answer = (handlers.get(url.pathname) ?? ((): ReviewAnswer => ({ allowed: true })))(got);
      const response: Record<string, unknown> = { uid: review.request.uid, allowed: answer.allowed };
      if (answer.status) response.status = answer.status;
      if (answer.warnings) response.warnings = answer.warnings;
      if (answer.auditAnnotations) response.auditAnnotations = answer.auditAnnotations;
      if (answer.patch) { response.patchType = "JSONPatch"; response.patch = Buffer.from(JSON.stringify(answer.patch)).toString("base64"); }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ apiVersion: review.apiVersion, kind: "AdmissionReview", response }));
      };
      if (!answer.delayMs) { send(); return; }
      const t = setTimeout(() => { timers.delete(t); send(); }, answer.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return {
    url: `https://127.0.0.1:${port}`, port, caBundle: Buffer.from(pki.ca).toString("base64"), received,
    handle: (path, handler) => { handlers.set(path, handler); },
    handleReview: (path, handler) => { reviewHandlers.set(path, handler); },
    close,
    [Symbol.asyncDispose]: close,
  };
}
