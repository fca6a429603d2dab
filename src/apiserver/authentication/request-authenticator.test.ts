import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RequestAuthenticator, WEBSOCKET_BEARER_PROTOCOL_PREFIX, type AuthenticatableRequest } from "./request-authenticator.js";
import type { TokenAuthenticator, UserInfo } from "./user-info.js";

/** One token authenticator that knows the token "s3cret" as jane. */
const jane: UserInfo = { username: "jane", groups: ["system:authenticated"] };
const tokens: TokenAuthenticator = { authenticateToken: async (t: string) => (t === "s3cret" ? jane : undefined) };
const authenticator = new RequestAuthenticator({ tokens: [tokens], anonymous: true });

const asProtocol = (token: string) => WEBSOCKET_BEARER_PROTOCOL_PREFIX + Buffer.from(token).toString("base64url");
function upgrade(protocols: string | string[]): AuthenticatableRequest {
  return { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-protocol": protocols }, socket: undefined };
}
const status = (err: unknown) => (err as { code?: number }).code;

describe("request authentication", () => {
  it("takes a bearer token from the Authorization header", async () => {
    assert.equal((await authenticator.authenticate({ headers: { authorization: "Bearer s3cret" }, socket: undefined })).username, "jane");
    await assert.rejects(authenticator.authenticate({ headers: { authorization: "Bearer wrong" }, socket: undefined }), (e) => status(e) === 401);
  });

  it("is anonymous without credentials", async () => {
    assert.equal((await authenticator.authenticate({ headers: {}, socket: undefined })).username, "system:anonymous");
  });

  it("takes a bearer token from a WebSocket subprotocol and removes it from the offer", async () => {
    const req = upgrade(`v5.channel.k8s.io, ${asProtocol("s3cret")}, v4.channel.k8s.io`);
    assert.equal((await authenticator.authenticate(req)).username, "jane");
    assert.equal(req.headers["sec-websocket-protocol"], "v5.channel.k8s.io,v4.channel.k8s.io");
  });

  it("reads the subprotocol header when it comes more than once", async () => {
    const req = upgrade(["v4.channel.k8s.io", asProtocol("s3cret")]);
    assert.equal((await authenticator.authenticate(req)).username, "jane");
    assert.equal(req.headers["sec-websocket-protocol"], "v4.channel.k8s.io");
  });

  it("refuses a wrong, doubled, malformed or lone token subprotocol", async () => {
    await assert.rejects(authenticator.authenticate(upgrade(`v4.channel.k8s.io,${asProtocol("wrong")}`)), (e) => status(e) === 401);
    await assert.rejects(authenticator.authenticate(upgrade(`v4.channel.k8s.io,${asProtocol("s3cret")},${asProtocol("s3cret")}`)), (e) => status(e) === 401);
    await assert.rejects(authenticator.authenticate(upgrade(`v4.channel.k8s.io,${WEBSOCKET_BEARER_PROTOCOL_PREFIX}not+base64`)), (e) => status(e) === 401);
    await assert.rejects(authenticator.authenticate(upgrade(`v4.channel.k8s.io,${WEBSOCKET_BEARER_PROTOCOL_PREFIX}${Buffer.from([0xff, 0xfe]).toString("base64url")}`)), (e) => status(e) === 401);
    await assert.rejects(authenticator.authenticate(upgrade(asProtocol("s3cret"))), (e) => status(e) === 401);
  });

  it("ignores the subprotocol of a request that is not a WebSocket upgrade", async () => {
    const req: AuthenticatableRequest = { headers: { "sec-websocket-protocol": `v4.channel.k8s.io,${asProtocol("s3cret")}` }, socket: undefined };
    assert.equal((await authenticator.authenticate(req)).username, "system:anonymous");
  });

  it("lets the Authorization header win over a subprotocol", async () => {
    const req = upgrade(`v4.channel.k8s.io,${asProtocol("wrong")}`);
    req.headers.authorization = "Bearer s3cret";
    assert.equal((await authenticator.authenticate(req)).username, "jane");
  });
});
