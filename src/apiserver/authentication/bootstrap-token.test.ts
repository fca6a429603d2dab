import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Secret } from "kubernetes-types/core/v1.js";
import { bootstrapTokenSecret } from "../../pki/bootstrap-token.js";
import { BootstrapTokenAuthenticator } from "./bootstrap-token.js";

const token = { id: "abcdef", secret: "0123456789abcdef" };
const now = new Date("2026-01-01T00:00:00Z");

function authenticatorWith(mutate: (s: Secret) => void = () => {}) {
  const secret = bootstrapTokenSecret(token, { usages: ["authentication", "signing"] });
  mutate(secret);
  return new BootstrapTokenAuthenticator({
    getSecret: (ns, name) => (ns === "kube-system" && name === secret.metadata!.name ? secret : undefined),
    now: () => now,
  });
}
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("bootstrap token authenticator", () => {
  it("authenticates a valid token as system:bootstrap:<id>", async () => {
    assert.deepEqual(await authenticatorWith().authenticateToken("abcdef.0123456789abcdef"), {
      username: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"],
    });
  });

  it("adds the extra groups", async () => {
    const a = authenticatorWith((s) => { s.data!["auth-extra-groups"] = b64("system:bootstrappers:kubeadm:default-node-token, system:bootstrappers:x"); });
    assert.deepEqual((await a.authenticateToken("abcdef.0123456789abcdef"))?.groups,
      ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:x", "system:authenticated"]);
  });

  const refused: [string, string, (s: Secret) => void][] = [
    ["a wrong secret", "abcdef.0123456789abcdee", () => {}],
    ["an unknown id", "zzzzzz.0123456789abcdef", () => {}],
    ["a token of another form", "abcdef0123456789abcdef", () => {}],
    ["upper-case characters", "ABCDEF.0123456789abcdef", () => {}],
    ["a Secret of another type", "abcdef.0123456789abcdef", (s) => { s.type = "Opaque"; }],
    ["a Secret being deleted", "abcdef.0123456789abcdef", (s) => { (s.metadata as { deletionTimestamp?: string }).deletionTimestamp = "2025-01-01T00:00:00Z"; }],
    ["a token-id that differs", "abcdef.0123456789abcdef", (s) => { s.data!["token-id"] = b64("abcdeg"); }],
    ["an expired token", "abcdef.0123456789abcdef", (s) => { s.data!.expiration = b64("2025-12-31T23:59:59Z"); }],
    ["an unreadable expiration", "abcdef.0123456789abcdef", (s) => { s.data!.expiration = b64("tomorrow"); }],
    ["no authentication usage", "abcdef.0123456789abcdef", (s) => { delete s.data!["usage-bootstrap-authentication"]; }],
    ["a usage that is not \"true\"", "abcdef.0123456789abcdef", (s) => { s.data!["usage-bootstrap-authentication"] = b64("yes"); }],
    ["an extra group outside system:bootstrappers:", "abcdef.0123456789abcdef", (s) => { s.data!["auth-extra-groups"] = b64("system:masters"); }],
  ];
  for (const [what, presented, mutate] of refused) {
    it(`does not authenticate ${what}`, async () => {
      assert.equal(await authenticatorWith(mutate).authenticateToken(presented), undefined);
    });
  }

  it("accepts a token that expires later", async () => {
    const a = authenticatorWith((s) => { s.data!.expiration = b64("2026-01-02T00:00:00Z"); });
    assert.equal((await a.authenticateToken("abcdef.0123456789abcdef"))?.username, "system:bootstrap:abcdef");
  });
});
