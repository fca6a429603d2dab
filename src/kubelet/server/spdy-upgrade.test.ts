import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { isSpdyUpgrade, negotiate } from "./spdy-upgrade.js";
import { SPDY_REMOTE_COMMAND_PROTOCOLS } from "./remote-command-spdy.js";

/** The request fields negotiation reads; Node joins repeated header lines with ", ". */
const request = (headers: Record<string, string | undefined>) => ({ headers }) as unknown as IncomingMessage;

describe("SPDY upgrade negotiation (upstream's httpstream.Handshake)", () => {
  const cases: Array<{ name: string; offered?: string; want: string | { code: number; message: RegExp } }> = [
    { name: "takes the client's first choice the server speaks", offered: "v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io", want: "v4.channel.k8s.io" },
    { name: "in the client's order, not the server's", offered: "v2.channel.k8s.io, v4.channel.k8s.io", want: "v2.channel.k8s.io" },
    { name: "skips what it does not speak", offered: "v5.channel.k8s.io,v3.channel.k8s.io", want: "v3.channel.k8s.io" },
    { name: "speaks the first protocol, channel.k8s.io", offered: "channel.k8s.io", want: "channel.k8s.io" },
    { name: "refuses a client that names none", offered: undefined, want: { code: 400, message: /X-Stream-Protocol-Version is required/ } },
    { name: "refuses with 403 when nothing matches", offered: "v9.channel.k8s.io", want: { code: 403, message: /unable to negotiate protocol: client supports \[v9.channel.k8s.io\], server accepts \[v4.channel.k8s.io/ } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = negotiate(request({ "x-stream-protocol-version": c.offered }), SPDY_REMOTE_COMMAND_PROTOCOLS);
      if (typeof c.want === "string") return assert.deepEqual(got, { protocol: c.want });
      assert.ok("refusal" in got);
      assert.equal(got.refusal.code, c.want.code);
      assert.match(got.refusal.message, c.want.message);
    });
  }

  it("knows a SPDY upgrade from a WebSocket one", () => {
    assert.equal(isSpdyUpgrade(request({ connection: "Upgrade", upgrade: "SPDY/3.1" })), true);
    assert.equal(isSpdyUpgrade(request({ connection: "keep-alive, Upgrade", upgrade: "spdy/3.1" })), true);
    assert.equal(isSpdyUpgrade(request({ connection: "Upgrade", upgrade: "websocket" })), false);
    assert.equal(isSpdyUpgrade(request({ upgrade: "SPDY/3.1" })), false);
  });
});
