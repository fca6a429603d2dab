import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { importJWK, compactVerify } from "jose";
import type { Response } from "../http.js";
import { OpenIdMetadata } from "./openid-metadata.js";
import { boundClaims, serviceAccountKeyFromPem, signServiceAccountToken } from "../../pki/index.js";

const key = serviceAccountKeyFromPem(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);

/** Records what a handler writes. */
function fakeResponse() {
  const headers: Record<string, string> = {};
  const out = { code: 0, headers, body: "" };
  const res = {
    setHeader: (k: string, v: string) => { headers[k.toLowerCase()] = v; },
    writeHead: (code: number, h: Record<string, string | number>) => { out.code = code; for (const [k, v] of Object.entries(h)) headers[k.toLowerCase()] = String(v); },
    end: (text: string) => { out.body = text; },
  };
  return { res: res as unknown as Response, out };
}

describe("OpenIdMetadata", () => {
  const meta = new OpenIdMetadata({ jwksUri: () => OpenIdMetadata.defaultJwksUri("127.0.0.1:6443"), keys: [key] });

  it("serves the provider configuration", async () => {
    const { res, out } = fakeResponse();
    assert.equal(await meta.serve("GET", "/.well-known/openid-configuration", res), true);
    assert.equal(out.code, 200);
    assert.equal(out.headers["content-type"], "application/json");
    assert.equal(out.headers["cache-control"], "public, max-age=3600");
    assert.deepEqual(JSON.parse(out.body), {
      issuer: "https://kubernetes.default.svc.cluster.local",
      jwks_uri: "https://127.0.0.1:6443/openid/v1/jwks",
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  it("serves keys that verify the tokens", async () => {
    const { res, out } = fakeResponse();
    await meta.serve("GET", "/openid/v1/jwks", res);
    assert.equal(out.headers["content-type"], "application/jwk-set+json");
    const { keys } = JSON.parse(out.body);
    assert.deepEqual(Object.keys(keys[0]), ["use", "kty", "kid", "alg", "n", "e"]);
    const token = await signServiceAccountToken(key, boundClaims({ serviceAccount: { metadata: { name: "a", namespace: "b", uid: "u" } }, expirationSeconds: 600, audiences: ["x"] }));
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    assert.equal(header.kid, keys[0].kid);
    await compactVerify(token, await importJWK(keys[0], "RS256"));
  });

  it("leaves other paths and refuses writes", async () => {
    const { res, out } = fakeResponse();
    assert.equal(await meta.serve("GET", "/openid/v1", res), false);
    assert.equal(await meta.serve("POST", "/openid/v1/jwks", res), true);
    assert.equal(out.code, 405);
  });
});
