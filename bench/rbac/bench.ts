/**
 * RBAC authorizer benchmark (on demand: `npm run build && node dist/bench/rbac/bench.js`).
 * The bootstrap policy plus 1,000 RoleBindings over 50 namespaces; prints the
 * cost of one authorize() for typical callers. Nothing here asserts a time.
 */
import type { Attributes } from "../../src/apiserver/authorization/authorizer.js";
import type { UserInfo } from "../../src/apiserver/authentication/user-info.js";
import { InMemoryPolicy, RbacAuthorizer, defaultBootstrapPolicy } from "../../src/apiserver/authorization/rbac/index.js";

const policy = defaultBootstrapPolicy();
for (let i = 0; i < 1000; i++) {
  policy.roleBindings.push({ metadata: { namespace: `ns${i % 50}`, name: `rb${i}` }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:aggregate-to-edit" }, subjects: [{ kind: "User", name: `u${i}` }] });
}
const rbac = new RbacAuthorizer({ policy: new InMemoryPolicy(policy) });

const attrs = (user: UserInfo, verb: string, apiGroup: string, resource: string, namespace: string): Attributes =>
  ({ user, verb, resourceRequest: true, path: "", apiGroup, apiVersion: "v1", resource, subresource: "", namespace, name: "" });

function measure(name: string, next: (i: number) => Attributes): void {
  const n = 200_000;
  for (let i = 0; i < 10_000; i++) rbac.authorize(next(i));
  const start = process.hrtime.bigint();
  let allowed = 0;
  for (let i = 0; i < n; i++) if (rbac.authorize(next(i)).decision === "Allow") allowed++;
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`${name.padEnd(48)} ${ns.toFixed(0).padStart(6)} ns/op  allowed ${allowed}/${n}`);
}

const admin: UserInfo = { username: "admin", groups: ["system:masters", "system:authenticated"] };
measure("admin, same UserInfo", () => attrs(admin, "create", "", "pods", "default"));
measure("admin, a new UserInfo each request", () => attrs({ username: "admin", groups: ["system:masters", "system:authenticated"] }, "create", "", "pods", "default"));
const dev: UserInfo = { username: "u7", groups: ["system:authenticated"] };
measure("user by RoleBinding", () => attrs(dev, "create", "apps", "deployments", "ns7"));
measure("user denied", () => attrs(dev, "create", "apps", "deployments", "ns8"));
const sa = (): UserInfo => ({ username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"] });
measure("controller service account, 100 namespaces", (i) => attrs(sa(), "create", "", "pods", `ns${i % 100}`));
