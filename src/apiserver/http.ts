/** Small HTTP helpers shared by the handlers: bodies, responses, content negotiation. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest } from "../api/errors.js";
import { refuseDeepJson, valueTooDeep, yamlTextTooDeep } from "./json-depth.js";

export type Request = IncomingMessage | Http2ServerRequest;
export type Response = ServerResponse | Http2ServerResponse;

const MAX_BODY = 3 * 1024 * 1024;

/**
 * The request body, at most MAX_BODY bytes. Over the limit the rest is read
 * and dropped rather than left unread (or the stream destroyed), so that a
 * kept-alive connection stays in step for the client's next request.
 */
export function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      req.resume();
      reject(new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"));
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}

export function mediaType(req: Request): string {
  const ct = req.headers["content-type"];
  return (Array.isArray(ct) ? ct[0] : ct ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Decodes a JSON (or, for apply and YAML bodies, YAML) request body; a malformed one is a 400. */
export function decodeBody(body: Buffer, type: string): unknown {
  const text = body.toString("utf8");
  if (type === "application/apply-patch+yaml" || type === "application/yaml") {
    if (yamlTextTooDeep(text)) throw badRequest("error decoding YAML: exceeded max depth");
    let value: unknown;
    try {
      value = parseYaml(text, { uniqueKeys: false, maxAliasCount: 100 });
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    // Past the parser, every walk recurses: a deep (or, through aliases, cyclic) value stops here.
    if (valueTooDeep(value)) throw badRequest("error decoding YAML: exceeded max depth");
    return value;
  }
  if (text.trim() === "") throw badRequest("the request body is empty");
  refuseDeepJson(text, "couldn't get version/kind; json parse error: ");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function sendJson(res: Response, code: number, body: unknown, contentType = "application/json"): void {
  // A Buffer, not a string: Node's HTTP/1.1 writes the headers with a string body in that string's
  // encoding (UTF-8), with a Buffer body as Latin-1, one byte a character, as HTTP/2 always does,
  // and warningHeaderValue counts on the latter.
  const bytes = Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
  res.writeHead(code, { "content-type": contentType, "content-length": bytes.length });
  res.end(bytes);
}

export function sendError(res: Response, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

export function wantsTable(accept: string | undefined): boolean {
  return Boolean(accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept));
}

/** Warnings as upstream sends them: one `299 - "text"` value each. */
export function sendWarnings(res: Response, warnings: string[] | undefined): void {
  if (!warnings?.length || res.headersSent) return;
  res.setHeader("warning", warnings.map(warningHeaderValue).join(", "));
}

/**
 * One warning as upstream's net.NewWarningHeader writes it: `"` and `\` escaped, everything else
 * as is, in UTF-8. Node writes a header string one byte a character (Latin-1) and refuses any
 * character above U+00FF (a 500 over HTTP/1.1, a mangled header over HTTP/2), so the text goes
 * out as its UTF-8 bytes, which is what Go's server sends and Go's client reads back. Line breaks
 * and other control characters become spaces, as Go's header writer turns newlines into spaces.
 */
export function warningHeaderValue(text: string): string {
  const quoted = `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  // eslint-disable-next-line no-control-regex
  const printable = quoted.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, " ");
  return `299 - ${Buffer.from(printable, "utf8").toString("latin1")}`;
}
