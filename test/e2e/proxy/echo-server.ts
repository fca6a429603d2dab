/**
 * The program a test pod runs (the process runtime runs it as a host
 * process): answers every request with what it received, so that a test
 * sees what a backend behind the API server's proxy sees.
 * `node echo-server.js PORT [TLS_PORT CERT_FILE KEY_FILE]`, on 127.0.0.1.
 *
 * - `/page`, `/page.gz`: an HTML page with a link to `/rewriteme` (gzipped for the latter);
 * - `/redirect`: 302 to `/target`; `/cors`: a CORS header;
 * - an upgrade: 101, then one WebSocket text frame with the request as JSON;
 * - anything else: 200 with `{method, url, headers, body, tls}` as JSON.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Duplex } from "node:stream";
import { gzipSync } from "node:zlib";

const [port, tlsPort, certFile, keyFile] = process.argv.slice(2);

async function answer(req: IncomingMessage, res: ServerResponse, tls: boolean): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const page = '<a href="/rewriteme">test</a>';
  if (req.url === "/page") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(page);
  } else if (req.url === "/page.gz") {
    res.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" });
    res.end(gzipSync(page));
  } else if (req.url === "/redirect") {
    res.writeHead(302, { location: "/target" });
    res.end();
  } else if (req.url === "/cors") {
    res.writeHead(200, { "access-control-allow-origin": "*", "x-echo": "cors" });
    res.end("cors");
  } else {
    res.writeHead(200, { "content-type": "application/json", "x-echo": "yes" });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString(), tls }));
  }
}

/** A WebSocket handshake by hand, then a single unmasked text frame (RFC 6455), then close. */
function upgrade(req: IncomingMessage, socket: Duplex): void {
  const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const payload = Buffer.from(JSON.stringify({ url: req.url, headers: req.headers }));
  const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  socket.write(Buffer.concat([header, payload]));
}

const plain = createServer((req, res) => void answer(req, res, false));
plain.on("upgrade", upgrade);
plain.listen(Number(port), "127.0.0.1");
if (tlsPort) {
  const secure = createTlsServer({ cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, (req, res) => void answer(req, res, true));
  secure.listen(Number(tlsPort), "127.0.0.1");
}
process.on("SIGTERM", () => process.exit(0));
