/**
 * A CRD's selectableFields as a kubectl user meets them: a CRD whose fields
 * are not selectable is refused with upstream's messages; list and watch of
 * the custom resource select by the declared fields (=, ==, !=, several at
 * once) and by metadata.name and metadata.namespace; any other field is a
 * 400; values are those the client sees (a schema default applied on
 * read); and the fields are published in the OpenAPI documents.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const fixture = (name: string) => join(repoRoot, "test/e2e/crds", name);
const shirt = (name: string, spec: object, namespace = "default") =>
  JSON.stringify({ apiVersion: "stable.example.com/v1", kind: "Shirt", metadata: { name, namespace }, spec });

describe("selectable fields of a CRD", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const names = async (args: string[]) => (await kubectl.ok(["get", "shirts", "-A", "-o", "name", ...args])).split("\n").filter(Boolean).sort();

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    await kubectl.ok(["apply", "-f", fixture("shirts-crd.yaml")]);
    await kubectl.ok(["wait", "--for=condition=Established", "crd/shirts.stable.example.com", "--timeout=30s"]);
    await kubectl.ok(["create", "namespace", "other"]);
    await eventually(async () => (await kubectl.run(["apply", "-f", "-"], { input: shirt("blue-s", { color: "blue", size: 1, branded: true }) })).code === 0 || undefined, 20_000, 200);
    for (const s of [shirt("blue-l", { color: "blue", size: 3, branded: false }), shirt("red-s", { color: "red", size: 1, branded: true }), shirt("plain", {}), shirt("blue-other", { color: "blue", size: 2 }, "other")]) {
      await kubectl.ok(["apply", "-f", "-"], { input: s });
    }
  });
  after(async () => { await server?.[Symbol.asyncDispose](); });

  it("refuses fields that cannot be selected, with upstream's messages", async () => {
    const r = await kubectl.run(["apply", "-f", fixture("bad-selectable-fields-crd.yaml")]);
    assert.notEqual(r.code, 0);
    for (const line of [
      '* spec.versions[0].selectableFields[1].jsonPath: Duplicate value: ".spec.color"',
      '* spec.versions[0].selectableFields[2].jsonPath: Invalid value: ".spec.weight": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
      '* spec.versions[0].selectableFields[3].jsonPath: Invalid value: ".spec.brim": is an invalid path: does not refer to a valid field',
      '* spec.versions[0].selectableFields[4].jsonPath: Invalid value: ".metadata.name": is an invalid path: does not refer to a valid field',
    ]) assert.ok(r.stderr.includes(line), `${line}\nin\n${r.stderr}`);
    assert.notEqual((await kubectl.run(["get", "crd", "hats.stable.example.com"])).code, 0);
  });

  it("lists by the declared fields, alone or together, with =, == and !=", async () => {
    const p = "shirt.stable.example.com/";
    assert.deepEqual(await names(["--field-selector", "spec.color=blue"]), [`${p}blue-l`, `${p}blue-other`, `${p}blue-s`]);
    assert.deepEqual(await names(["--field-selector", "spec.color==blue,spec.size=3"]), [`${p}blue-l`]);
    assert.deepEqual(await names(["--field-selector", "spec.branded=true,spec.color!=blue"]), [`${p}red-s`]);
    // An absent field reads as the empty string.
    assert.deepEqual(await names(["--field-selector", "spec.color="]), [`${p}plain`]);
    assert.deepEqual(await names(["--field-selector", "spec.color=blue,metadata.namespace=other"]), [`${p}blue-other`]);
    assert.deepEqual(await names(["--field-selector", "metadata.name=red-s"]), [`${p}red-s`]);
    // The table kubectl prints by default is filtered the same way.
    const table = await kubectl.ok(["get", "shirts", "--field-selector", "spec.size=1"]);
    assert.deepEqual(table.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]).sort(), ["blue-s", "red-s"]);
  });

  it("refuses a field the version does not declare with upstream's 400", async () => {
    const r = await kubectl.run(["get", "shirts", "--field-selector", "spec.weight=1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(BadRequest\): .*field label not supported: spec\.weight/);
  });

  it("watches by the declared fields", async () => {
    const text = await kubectl.ok(["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/shirts?watch=true&timeoutSeconds=2&fieldSelector=spec.color%3Dblue%2Cspec.branded%21%3Dtrue"]);
    const events = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Json);
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [["ADDED", "blue-l"]]);
  });

  it("publishes the fields in the OpenAPI documents", async () => {
    const want = [{ fieldPath: "spec.color" }, { fieldPath: "spec.size" }, { fieldPath: "spec.branded" }];
    const v3 = JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v3/apis/stable.example.com/v1"])) as Json;
    assert.deepEqual(v3.components.schemas["com.example.stable.v1.Shirt"]["x-kubernetes-selectable-fields"], want);
    const v2 = JSON.parse(await kubectl.ok(["get", "--raw", "/openapi/v2"])) as Json;
    assert.deepEqual(v2.definitions["com.example.stable.v1.Shirt"]["x-kubernetes-selectable-fields"], want);
  });

  it("tells a watcher of objects that enter and leave the selection", async () => {
    // The list's own resourceVersion (kubectl get -o jsonpath would show the List it builds itself, without one).
    const rv = (JSON.parse(await kubectl.ok(["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/shirts"])) as Json).metadata.resourceVersion as string;
    const watching = kubectl.ok(["get", "--raw", `/apis/stable.example.com/v1/namespaces/default/shirts?watch=true&timeoutSeconds=3&resourceVersion=${rv}&fieldSelector=spec.color%3Dblue`]);
    await kubectl.ok(["patch", "shirt", "blue-l", "--type=merge", "-p", '{"spec":{"color":"red"}}']);
    await kubectl.ok(["patch", "shirt", "red-s", "--type=merge", "-p", '{"spec":{"color":"blue"}}']);
    await kubectl.ok(["patch", "shirt", "plain", "--type=merge", "-p", '{"spec":{"size":4}}']);
    const events = (await watching).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Json);
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.spec.color]), [["DELETED", "blue-l", "red"], ["ADDED", "red-s", "blue"]]);
  });

  it("selects by a value the schema defaults on read", async () => {
    // plain was stored without a color; a default added later is what list and watch see.
    const crd = readFileSync(fixture("shirts-crd.yaml"), "utf8").replace("color: {type: string}", "color: {type: string, default: white}");
    await kubectl.ok(["apply", "-f", "-"], { input: crd });
    const p = "shirt.stable.example.com/";
    await eventually(async () => JSON.stringify(await names(["--field-selector", "spec.color=white"])) === JSON.stringify([`${p}plain`]) || undefined, 20_000, 200);
    const text = await kubectl.ok(["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/shirts?watch=true&timeoutSeconds=1&fieldSelector=spec.color%3Dwhite"]);
    assert.deepEqual(text.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as Json).object.metadata.name), ["plain"]);
  });
});
