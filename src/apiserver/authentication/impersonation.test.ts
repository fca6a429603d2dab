import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Attributes, Authorizer } from "../authorization/authorizer.js";
import { impersonate } from "./impersonation.js";

/** Allows impersonating exactly the (resource, name) pairs given. */
function allowing(...pairs: string[]): Authorizer & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    authorize(a: Attributes) {
      const key = `${a.resource}${a.subresource ? "/" + a.subresource : ""}:${a.namespace ? a.namespace + "/" : ""}${a.name}`;
      asked.push(`${a.verb} ${key}`);
      return { decision: pairs.includes(key) ? "Allow" : "NoOpinion", reason: "" };
    },
  };
}

const jane = { username: "jane", groups: ["dev", "system:authenticated"] };

describe("impersonation", () => {
  it("passes the requester through without headers", () => {
    assert.equal(impersonate({}, jane, allowing()), jane);
  });
  it("acts as the user, with system:authenticated", () => {
    const az = allowing("users:foo", "groups:ops");
    const u = impersonate({ "impersonate-user": "foo", "impersonate-group": ["ops"] }, jane, az);
    assert.deepEqual(u, { username: "foo", groups: ["ops", "system:authenticated"] });
    assert.deepEqual(az.asked, ["impersonate users:foo", "impersonate groups:ops"]);
  });
  it("gives a service account its fixed groups", () => {
    const u = impersonate({ "impersonate-user": "system:serviceaccount:ns1:robot" }, jane, allowing("serviceaccounts:ns1/robot"));
    assert.deepEqual(u.groups, ["system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"]);
  });
  it("is Forbidden with upstream's message", () => {
    assert.throws(() => impersonate({ "impersonate-user": "foo" }, jane, allowing()), (e: { code?: number; message?: string }) =>
      e.code === 403 && e.message === `users "foo" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope`);
  });
  it("checks extras and uid", () => {
    const az = allowing("users:foo", "userextras/scopes:view", "uids:123");
    const u = impersonate({ "impersonate-user": "foo", "impersonate-extra-scopes": "view", "impersonate-uid": "123" }, jane, az);
    assert.deepEqual(u.extra, { scopes: ["view"] });
    assert.equal(u.uid, "123");
  });
  it("refuses groups without a user (400)", () => {
    assert.throws(() => impersonate({ "impersonate-group": "ops" }, jane, allowing()), (e: { code?: number }) => e.code === 400);
  });
});
