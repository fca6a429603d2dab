import assert from "node:assert/strict";
import { it } from "node:test";
import type { Attributes, Authorizer } from "../../authorization/authorizer.js";
import { evalErrorText, ExpressionEnvironment } from "../index.js";
import { authorizerFor } from "./authz.js";

/** An authorizer that records what it is asked and allows only what allow says. */
function fakeAuthorizer(allow: (a: Attributes) => boolean): Authorizer & { asked: Attributes[] } {
  const asked: Attributes[] = [];
  return {
    asked,
    authorize(a) {
      asked.push(a);
      return allow(a) ? { decision: "Allow", reason: `RBAC: allowed by test` } : { decision: "NoOpinion", reason: "" };
    },
  };
}

const env = new ExpressionEnvironment(["object", "authorizer"]);
const request = { group: "apps", resource: "deployments", subresource: "", namespace: "ns", name: "web" };
const user = { username: "ann", groups: ["dev", "system:authenticated"] };

function run(expr: string, authz: Authorizer): unknown {
  const c = env.compile(expr);
  if ("error" in c) throw new Error(c.error);
  return c.run({ object: null }, { authorizer: authorizerFor(authz, user, request) });
}

it("checks a resource with every attribute the chain sets, as the request's user", () => {
  const authz = fakeAuthorizer((a) => a.verb === "update" && a.subresource === "scale");
  assert.equal(run("authorizer.group('apps').resource('deployments').subresource('scale').namespace('ns').name('x').check('update').allowed()", authz), true);
  assert.deepEqual(authz.asked, [{ user, verb: "update", resourceRequest: true, path: "", apiGroup: "apps", apiVersion: "*", resource: "deployments", subresource: "scale", namespace: "ns", name: "x" }]);
  assert.equal(run("authorizer.group('').resource('pods').check('delete').allowed()", authz), false);
});

it("tells the reason, and that nothing errored", () => {
  const authz = fakeAuthorizer(() => true);
  assert.equal(run("authorizer.group('').resource('pods').check('get').reason()", authz), "RBAC: allowed by test");
  assert.equal(run("authorizer.group('').resource('pods').check('get').errored()", authz), false);
  assert.equal(run("authorizer.group('').resource('pods').check('get').error()", authz), "");
});

it("checks the request's own resource as requestResource", () => {
  const authz = fakeAuthorizer((a) => a.verb === "delete");
  assert.equal(run("authorizer.requestResource.check('delete').allowed()", authz), true);
  assert.deepEqual(authz.asked.map((a) => [a.apiGroup, a.resource, a.namespace, a.name]), [["apps", "deployments", "ns", "web"]]);
  assert.equal(run("authorizer.requestResource.namespace('other').check('get').allowed()", authz), false);
  assert.equal(run("authorizer.requestResource.subresource('status').check('delete').allowed()", authz), true);
  assert.deepEqual(authz.asked.at(-1)?.subresource, "status");
});

it("has requestResource only as authorizer.requestResource, not on a service account's authorizer", () => {
  const c = env.compile("authorizer.serviceAccount('ns', 'sa').requestResource.check('get').allowed()");
  assert.ok("error" in c);
  assert.equal(c.error.split("\n")[0], "ERROR: <input>:1:38: undefined field 'requestResource'");
  // A field of that name in an object is the object's.
  assert.ok(!("error" in env.compile("object.spec.requestResource == 'x'")));
});

it("checks a non-resource path with the verb as written", () => {
  const authz = fakeAuthorizer((a) => !a.resourceRequest && a.path === "/healthz" && a.verb === "get");
  assert.equal(run("authorizer.path('/healthz').check('get').allowed()", authz), true);
  assert.equal(run("authorizer.path('/healthz').check('GET').allowed()", authz), false);
});

it("checks as a service account, with its username and groups", () => {
  const authz = fakeAuthorizer(() => true);
  run("authorizer.serviceAccount('kube-system', 'builder').group('').resource('pods').check('list').allowed()", authz);
  assert.deepEqual(authz.asked[0]!.user, { username: "system:serviceaccount:kube-system:builder", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system"] });
});

it("refuses empty paths and resources and bad service accounts with upstream's errors", () => {
  const authz = fakeAuthorizer(() => true);
  const error = (expr: string) => { try { run(expr, authz); return "no error"; } catch (e) { return evalErrorText(e); } };
  assert.match(error("authorizer.path(' ').check('get').allowed()"), /path must not be empty/);
  assert.match(error("authorizer.group('apps').resource('').check('get').allowed()"), /resource must not be empty/);
  assert.match(error("authorizer.serviceAccount('ns', 'Bad_Name').group('').resource('pods').check('get').allowed()"), /Invalid service account name/);
  assert.match(error("authorizer.serviceAccount('not.a.label', 'sa').group('').resource('pods').check('get').allowed()"), /Invalid service account namespace/);
});

it("does not compile a check of the wrong shape", () => {
  assert.ok("error" in env.compile("authorizer.group('apps').check('get')"));
  assert.ok("error" in env.compile("authorizer.group('apps').resource('x').check(1)"));
  assert.ok(!("error" in env.compile("object.spec.replicas > 1")));
});
