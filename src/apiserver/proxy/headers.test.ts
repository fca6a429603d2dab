import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backendRequestHeaders, clientResponseHeaders } from "./headers.js";

const pairs = (flat: string[]) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);

describe("proxied headers", () => {
  const request = [
    ":method", "GET", ":path", "/x", ":authority", "127.0.0.1:6443", "Host", "ignored",
    "Authorization", "Bearer secret", "Impersonate-User", "jane", "Impersonate-Extra-Scopes", "view",
    "Connection", "keep-alive, X-Hop", "X-Hop", "1", "Keep-Alive", "timeout=5", "TE", "trailers", "Transfer-Encoding", "chunked",
    "Accept", "text/html", "Cookie", "a=1", "X-Forwarded-For", "10.1.1.1",
  ];

  it("passes on the request's own headers, never the API server's credentials nor hop-by-hop ones", () => {
    const out = pairs(backendRequestHeaders(request, { host: "127.0.0.1:6443", clientIP: "127.0.0.1", upgrade: false, extra: { "X-Forwarded-Uri": "/p/x" } }));
    assert.deepEqual(out, [
      ["Host", "127.0.0.1:6443"], ["Accept", "text/html"], ["Cookie", "a=1"],
      ["X-Forwarded-For", "10.1.1.1, 127.0.0.1"], ["X-Forwarded-Uri", "/p/x"],
    ]);
  });

  it("keeps Connection and Upgrade for an upgrade, still without credentials", () => {
    const out = backendRequestHeaders(["Connection", "Upgrade", "Upgrade", "websocket", "Authorization", "Bearer secret", "Sec-WebSocket-Key", "k"], { host: "h", clientIP: undefined, upgrade: true });
    assert.deepEqual(pairs(out), [["Host", "h"], ["Connection", "Upgrade"], ["Upgrade", "websocket"], ["Sec-WebSocket-Key", "k"]]);
  });

  it("answers with the backend's headers less hop-by-hop and CORS ones", () => {
    const out = clientResponseHeaders([
      "Content-Type", "text/plain", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Connection", "close, X-Private", "X-Private", "1",
      "Transfer-Encoding", "chunked", "Access-Control-Allow-Origin", "*", "Location", "/next",
    ]);
    assert.deepEqual(out, { "content-type": "text/plain", "set-cookie": ["a=1", "b=2"], location: "/next" });
  });
});
