/**
 * Upstream's TypeChecker of ValidatingAdmissionPolicies: each validation's
 * expression and messageExpression is compiled once per kind the policy's
 * matchConstraints name (at most 10; rules with a wildcard group or version,
 * and wildcard or subresource resources, name none), with object and
 * oldObject of that kind's schema and params of the paramKind's; what does
 * not compile is a warning at the expression's path, per kind:
 * `apps/v1, Kind=Deployment: ERROR: <input>:1:8: undefined field 'foo' ...`.
 * The schemas are the server's OpenAPI v3 documents (CRDs' among them); a
 * kind without a schema is not checked. A type checking problem never
 * changes what the policy does.
 */
import type { ExpressionWarning, ValidatingAdmissionPolicy } from "kubernetes-types/admissionregistration/v1.js";
import type { Client } from "../../client/index.js";
import { TypedExpressionChecker, type Schema } from "../../apiserver/cel/index.js";

const MAX_TYPES_TO_CHECK = 10;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- OpenAPI documents are free-form JSON

export interface GroupVersionKind { group: string; version: string; kind: string }

/** Where the checker finds kinds and their schemas. */
export interface SchemaSource {
  /** The kind of a group/version/resource, if served. */
  kindFor(group: string, version: string, resource: string): Promise<string | undefined>;
  /** The OpenAPI v3 document of a group/version (`components.schemas`), if served. */
  document(group: string, version: string): Promise<Obj | undefined>;
}

/** Schemas upstream's resolver gives types of their own rather than what their OpenAPI says. */
const SPECIAL: Record<string, Schema> = {
  "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": { type: "string", format: "date-time" },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { "x-kubernetes-int-or-string": true },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": { "x-kubernetes-int-or-string": true },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": { type: "object", "x-kubernetes-preserve-unknown-fields": true },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": { "x-kubernetes-preserve-unknown-fields": true },
};

/** An OpenAPI schema with its $refs (and single-ref allOf) resolved into one structural Schema; shared refs stay one object, so cycles close. */
export function resolveSchema(root: Obj, components: Obj): Schema {
  const byRef = new Map<string, Schema>();
  const ref = (name: string): Schema => {
    const special = SPECIAL[name];
    if (special) return special;
    let s = byRef.get(name);
    if (s) return s;
    s = {};
    byRef.set(name, s);
    Object.assign(s, convert(components[name] ?? { "x-kubernetes-preserve-unknown-fields": true }));
    return s;
  };
  const convert = (node: Obj): Schema => {
    if (typeof node.$ref === "string") return ref(node.$ref.replace("#/components/schemas/", ""));
    if (Array.isArray(node.allOf) && node.allOf.length === 1 && typeof node.allOf[0]?.$ref === "string") return ref(node.allOf[0].$ref.replace("#/components/schemas/", ""));
    const out: Schema = {};
    for (const k of ["type", "format", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource", "x-kubernetes-list-type", "x-kubernetes-map-type"] as const) {
      if (node[k] !== undefined) (out as Obj)[k] = node[k];
    }
    if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties as Obj).map(([k, v]) => [k, convert(v as Obj)]));
    if (node.items && typeof node.items === "object") out.items = convert(node.items as Obj);
    if (node.additionalProperties && typeof node.additionalProperties === "object") out.additionalProperties = convert(node.additionalProperties as Obj);
    return out;
  };
  const s = convert(root);
  // apiVersion and kind are there at a resource's root whatever its schema says (upstream's WithTypeAndObjectMeta).
  if (s.type === "object" && s.properties) s.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, ...s.properties };
  return s;
}

/** The schema of a kind from its group/version's document (the component whose x-kubernetes-group-version-kind names it). */
async function schemaOf(source: SchemaSource, gvk: GroupVersionKind): Promise<Schema | undefined> {
  const doc = await source.document(gvk.group, gvk.version);
  const components = (doc?.components?.schemas ?? {}) as Obj;
  for (const c of Object.values(components) as Obj[]) {
    const kinds = (c["x-kubernetes-group-version-kind"] ?? []) as GroupVersionKind[];
    if (kinds.some((k) => k.group === gvk.group && k.version === gvk.version && k.kind === gvk.kind)) return resolveSchema(c, components);
  }
  return undefined;
}

/** The kinds the policy's matchConstraints name, as upstream's typesToCheck: sorted by group, version, kind; at most 10. */
export async function typesToCheck(policy: ValidatingAdmissionPolicy, source: SchemaSource): Promise<GroupVersionKind[]> {
  const found = new Map<string, GroupVersionKind>();
  const rules = (policy.spec?.matchConstraints?.resourceRules ?? []) as { apiGroups?: string[]; apiVersions?: string[]; resources?: string[] }[];
  for (const r of rules) {
    const groups = r.apiGroups ?? [];
    const versions = r.apiVersions ?? [];
    if (!groups.length || groups.some((g) => g.includes("*")) || !versions.length || versions.some((v) => v.includes("*"))) continue;
    const resources = (r.resources ?? []).filter((x) => !/[*/]/.test(x));
    let count = 0;
    for (const group of [...groups].sort()) {
      for (const version of [...versions].sort()) {
        for (const resource of [...resources].sort()) {
          const kind = await source.kindFor(group, version, resource);
          if (!kind) continue;
          found.set(`${group}/${version}/${kind}`, { group, version, kind });
          if (++count === MAX_TYPES_TO_CHECK) return sortKinds([...found.values()]);
        }
      }
    }
  }
  return sortKinds([...found.values()]);
}

const sortKinds = (list: GroupVersionKind[]) => list.sort((a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version) || a.kind.localeCompare(b.kind));

/** Go's GroupVersionKind.String(): `apps/v1, Kind=Deployment` (`/v1, Kind=Pod` for the core group). */
const gvkString = (k: GroupVersionKind) => `${k.group}/${k.version}, Kind=${k.kind}`;

/** The warnings of a policy's expressions, as upstream's TypeChecker.Check. */
export async function checkPolicyTypes(policy: ValidatingAdmissionPolicy, source: SchemaSource): Promise<ExpressionWarning[]> {
  const kinds = await typesToCheck(policy, source);
  const checked: { gvk: GroupVersionKind; checker: TypedExpressionChecker }[] = [];
  const paramKind = policy.spec?.paramKind;
  let params: Schema | undefined;
  if (paramKind?.apiVersion && paramKind.kind) {
    const [group, version] = paramKind.apiVersion.includes("/") ? paramKind.apiVersion.split("/") as [string, string] : ["", paramKind.apiVersion];
    params = await schemaOf(source, { group, version, kind: paramKind.kind });
  }
  for (const gvk of kinds) {
    const object = await schemaOf(source, gvk);
    if (!object) continue;
    checked.push({ gvk, checker: new TypedExpressionChecker({ object, oldObject: object, params, request: undefined, namespaceObject: undefined, variables: undefined, authorizer: undefined }) });
  }
  const warnings: ExpressionWarning[] = [];
  const check = (fieldRef: string, expr: string) => {
    const issues = checked.flatMap(({ gvk, checker }) => {
      const c = checker.check(expr);
      return "error" in c ? [`${gvkString(gvk)}: ${c.error}\n`] : [];
    });
    if (issues.length) warnings.push({ fieldRef, warning: issues.join("\n") });
  };
  (policy.spec?.validations ?? []).forEach((v, i) => {
    check(`spec.validations[${i}].expression`, v.expression);
    if (v.messageExpression) check(`spec.validations[${i}].messageExpression`, v.messageExpression);
  });
  return warnings;
}

/** The server's discovery and OpenAPI v3 documents, cached per check (a policy's kinds usually share a few groups). */
export function serverSchemas(client: Client): () => SchemaSource {
  return () => {
    const docs = new Map<string, Promise<Obj | undefined>>();
    const resources = new Map<string, Promise<{ name: string; kind: string }[]>>();
    const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);
    return {
      async kindFor(group, version, resource) {
        const key = gvPath(group, version);
        if (!resources.has(key)) resources.set(key, client.request<{ resources: { name: string; kind: string }[] }>("GET", `/${key}`).then((l) => l.resources, () => []));
        return (await resources.get(key)!).find((r) => r.name === resource)?.kind;
      },
      document(group, version) {
        const key = gvPath(group, version);
        if (!docs.has(key)) docs.set(key, client.request<Obj>("GET", `/openapi/v3/${key}`).catch(() => undefined));
        return docs.get(key)!;
      },
    };
  };
}
