/**
 * Calls a webhook: POSTs an AdmissionReview over HTTPS to its clientConfig
 * (a `url`, or a `service` reached at one of its endpoints), the server's
 * certificate verified against `caBundle` (the system roots without one)
 * and, for a service, against its DNS name `<name>.<namespace>.svc`, as
 * upstream's webhook client. The request carries `?timeout=Ns` and is
 * abandoned when the webhook's timeoutSeconds are up. Errors read as Go's
 * HTTP client words them, since upstream's messages quote them.
 *
 * Connections are kept alive in the caller's Agent (a TLS handshake per
 * call would cost more than most webhooks' work); a kept connection that the
 * webhook server closed meanwhile fails before any answer, and the call is
 * then made once more on a new one, as Go's transport retries it.
 */
import { X509Certificate } from "node:crypto";
import type { ClientRequest } from "node:http";
import { request, type Agent } from "node:https";
import { isIP } from "node:net";
import type { WebhookClientConfig } from "kubernetes-types/admissionregistration/v1.js";
import type { ServiceResolver } from "./service-resolver.js";

/** A webhook could not be called or answered nonsense: the failurePolicy decides. */
export class WebhookCallError extends Error {
  constructor(readonly webhook: string, readonly reason: string) {
    super(`failed calling webhook "${webhook}": ${reason}`);
    this.name = "WebhookCallError";
  }
}

/** The most of a response read (upstream's client has no limit of its own; this bounds memory). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

interface Target { display: string; host: string; port: number; path: string; servername?: string; ca?: string }

/**
 * The caBundle's certificates as PEM, checked as Go's cert pool loads them:
 * Node would ignore what is not a certificate and then trust nothing,
 * where upstream refuses to build the client.
 */
function rootCertificates(caBundle: string | undefined, webhook: string): string | undefined {
  if (!caBundle) return undefined;
  const pem = Buffer.from(caBundle, "base64").toString("utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const unusable = (why: string) => new WebhookCallError(webhook, `could not get REST client: unable to load root certificates: ${why}`);
  if (!blocks.length) throw unusable("unable to parse bytes as PEM block");
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch {
      throw unusable("x509: malformed certificate");
    }
  }
  return blocks.join("\n");
}

async function targetOf(cc: WebhookClientConfig, timeoutSeconds: number, services: ServiceResolver, webhook: string): Promise<Target> {
  const ca = rootCertificates(cc.caBundle, webhook);
  const query = `?timeout=${timeoutSeconds}s`;
  if (cc.url) {
    const u = new URL(cc.url);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    const path = `${u.pathname || "/"}${query}`;
    return { display: `${u.protocol}//${u.host}${path}`, host, port: Number(u.port || 443), path, servername: isIP(host) ? undefined : host, ca };
  }
  const svc = cc.service!;
  const port = svc.port ?? 443;
  const servername = `${svc.name}.${svc.namespace}.svc`;
  const path = `${svc.path || "/"}${query}`;
  let endpoint;
  try {
    endpoint = await services.resolve(svc.namespace, svc.name, port);
  } catch (err) {
    throw new WebhookCallError(webhook, `failed to call webhook: Post "https://${servername}:${port}${path}": ${(err as Error).message}`);
  }
  return { display: `https://${servername}:${port}${path}`, host: endpoint.host, port: endpoint.port, path, servername, ca };
}

/** Go's wording of a transport error. */
function describe(err: NodeJS.ErrnoException, t: Target): string {
  switch (err.code) {
    case "ECONNREFUSED": return `dial tcp ${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}: connect: connection refused`;
    case "ENOTFOUND": case "EAI_AGAIN": return `dial tcp: lookup ${t.host}: no such host`;
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE": case "SELF_SIGNED_CERT_IN_CHAIN": case "DEPTH_ZERO_SELF_SIGNED_CERT": case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
      return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    case "CERT_HAS_EXPIRED": return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
    case "ERR_TLS_CERT_ALTNAME_INVALID": return `tls: failed to verify certificate: x509: certificate is not valid for ${t.servername ?? t.host}: ${err.message}`;
    case "ECONNRESET": return "EOF";
    default: return err.message;
  }
}

/** Posts body and returns the parsed JSON answer; throws WebhookCallError for whatever the failurePolicy governs. */
export async function callWebhook(webhook: string, cc: WebhookClientConfig, timeoutSeconds: number, body: string, services: ServiceResolver, agent?: Agent): Promise<unknown> {
  const t = await targetOf(cc, timeoutSeconds, services, webhook);
  const fail = (reason: string) => new WebhookCallError(webhook, `failed to call webhook: Post "${t.display}": ${reason}`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const post = (retry: boolean) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    // Set once this call gave up on its own (timeout, size): the destroy's error is then not the answer.
    let abandoned = false;
    const req: ClientRequest = request({
      host: t.host, port: t.port, path: t.path, method: "POST", servername: t.servername, ca: t.ca, agent: agent ?? false,
      headers: { "Content-Type": "application/json", Accept: "application/json, */*", "Content-Length": Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) { abandoned = true; req.destroy(); reject(fail("response too large")); return; }
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => reject(fail(describe(err, t))));
    });
    const timer = setTimeout(() => { abandoned = true; req.destroy(); reject(fail("context deadline exceeded")); }, Math.max(0, deadline - Date.now()));
    req.on("close", () => clearTimeout(timer));
    req.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (abandoned) return;
      if (retry && req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) post(false).then(resolve, reject);
      else reject(fail(describe(err, t)));
    });
    req.end(body);
  });
  const text = await post(true);
  if (text.status < 200 || text.status > 299) {
    const detail = text.body.trim();
    throw new WebhookCallError(webhook, `failed to call webhook: ${text.status === 404 ? "the server could not find the requested resource"
      : detail ? `an error on the server (${JSON.stringify(detail.slice(0, 1024))}) has prevented the request from succeeding`
        : `the server responded with the status code ${text.status} but did not return more information`}`);
  }
  try {
    return JSON.parse(text.body) as unknown;
  } catch (err) {
    throw new WebhookCallError(webhook, `failed to call webhook: couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}
