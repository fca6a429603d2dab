/**
 * Impersonation as upstream's filter: `Impersonate-User`, `Impersonate-Uid`,
 * `Impersonate-Group` and `Impersonate-Extra-<key>` headers make the request
 * act as someone else, each allowed only by the `impersonate` verb on users
 * (or the service account), groups, uids or userextras.
 */
import { badRequest } from "../../api/errors.js";
import type { Attributes, Authorizer } from "../authorization/authorizer.js";
import { forbidden } from "../authorization/forbidden.js";
import {
  ANONYMOUS_USER, AUTHENTICATED_GROUP, SERVICE_ACCOUNTS_GROUP, SERVICE_ACCOUNT_PREFIX, UNAUTHENTICATED_GROUP, type UserInfo,
} from "./user-info.js";

type Headers = Record<string, string | string[] | undefined>;

const EXTRA_PREFIX = "impersonate-extra-";

function values(h: Headers, name: string): string[] {
  const v = h[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
}

/** Whether the request asks to impersonate anyone. */
export function wantsImpersonation(h: Headers): boolean {
  return Object.keys(h).some((k) => k.toLowerCase().startsWith("impersonate-"));
}

/**
 * The user the request acts as. Throws 400 for impersonation headers without
 * a user, 403 when the requester may not impersonate what it asks.
 */
export function impersonate(h: Headers, requester: UserInfo, authorizer: Authorizer): UserInfo {
  const username = values(h, "impersonate-user")[0];
  const groups = values(h, "impersonate-group");
  const uid = values(h, "impersonate-uid")[0];
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(h)) {
    if (!key.toLowerCase().startsWith(EXTRA_PREFIX)) continue;
    extra[decodeURIComponent(key.slice(EXTRA_PREFIX.length)).toLowerCase()] = values(h, key);
  }
  if (username === undefined) {
    if (groups.length || uid !== undefined || Object.keys(extra).length) {
      throw badRequest("requested impersonation of groups, uid or extra without impersonating a user");
    }
    return requester;
  }
  const check = (attrs: Omit<Attributes, "user" | "verb" | "resourceRequest" | "path" | "apiVersion" | "subresource"> & { apiVersion?: string; subresource?: string }) => {
    const full: Attributes = { user: requester, verb: "impersonate", resourceRequest: true, path: "", apiVersion: "", subresource: "", ...attrs };
    const r = authorizer.authorize(full);
    if (r.decision !== "Allow") throw forbidden(full, r.reason);
  };
  let resultGroups = [...groups];
  if (username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace, name] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(":");
    if (!namespace || !name) throw badRequest(`invalid service account username: ${JSON.stringify(username)}`);
    check({ apiGroup: "", resource: "serviceaccounts", namespace, name });
    // A service account's groups are fixed by its name, as upstream fills them when none are asked for.
    if (!groups.length) resultGroups = [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
  } else {
    check({ apiGroup: "", resource: "users", namespace: "", name: username });
  }
  for (const g of groups) check({ apiGroup: "", resource: "groups", namespace: "", name: g });
  if (uid !== undefined) check({ apiGroup: "authentication.k8s.io", resource: "uids", namespace: "", name: uid });
  for (const [key, vs] of Object.entries(extra)) {
    for (const v of vs) check({ apiGroup: "authentication.k8s.io", resource: "userextras", subresource: key, namespace: "", name: v });
  }
  const everyone = username === ANONYMOUS_USER ? UNAUTHENTICATED_GROUP : AUTHENTICATED_GROUP;
  if (!resultGroups.includes(everyone)) resultGroups.push(everyone);
  const user: UserInfo = { username, groups: resultGroups };
  if (uid !== undefined) user.uid = uid;
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}
