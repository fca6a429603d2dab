/**
 * Protobuf request bodies over HTTP, as client-go sends them
 * (`application/vnd.kubernetes.protobuf`): a create, a Scale PUT, the
 * DeleteOptions of a DELETE, and the refusals of what cannot be read.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { describe, it } from "node:test";
import { startControlPlane } from "../../helpers/control-plane.js";
import { bytesField, entry, envelope, intField, msg } from "../../helpers/protobuf-writer.js";
import { kubeconfigAgent } from "../../helpers/kubeconfig-agent.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are free-form JSON

const PROTOBUF = "application/vnd.kubernetes.protobuf";

function rawClient(kubeconfig: string) {
  const { server, agent } = kubeconfigAgent(kubeconfig);
  const send = (method: string, path: string, body?: Buffer, type = PROTOBUF) => new Promise<{ code: number; body: Obj }>((resolve, reject) => {
    const req = https.request(server + path, { method, agent, headers: body ? { "content-type": type, "content-length": body.length, accept: `${PROTOBUF}, */*` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(text)}`));
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
  return { send, close: () => agent.destroy() };
}

const deploys = "/apis/apps/v1/namespaces/default/deployments";
const labels = entry(1, "app", "web");
const deployment = (replicas: number) => envelope("apps/v1", "Deployment", msg(
  bytesField(1, msg(bytesField(1, "web"), entry(11, "app", "web"))),
  bytesField(2, msg(intField(1, replicas), bytesField(2, msg(labels)),
    bytesField(3, msg(bytesField(1, msg(entry(11, "app", "web"))), bytesField(2, msg(bytesField(2, msg(bytesField(1, "c"), bytesField(2, "nginx")))))))))));
/** autoscaling/v1 Scale: ScaleSpec.replicas is a plain int32, always on the wire, omitempty in JSON. */
const scale = (replicas: number) => envelope("autoscaling/v1", "Scale", msg(bytesField(1, msg(bytesField(1, "web"), bytesField(3, "default"))), bytesField(2, msg(intField(1, replicas)))));
/** meta/v1 DeleteOptions in the group version of the request, as client-go writes it. */
const deleteOptions = (uid: string, policy: string) => envelope("apps/v1", "DeleteOptions", msg(bytesField(2, msg(bytesField(1, uid))), bytesField(4, policy)));

describe("protobuf request bodies", () => {
  it("create, scale and delete a Deployment with protobuf bodies, replicas 0 kept", async () => {
    await using cp = await startControlPlane();
    const http = rawClient(cp.kubeconfig);
    try {
      const created = await http.send("POST", deploys, deployment(0));
      assert.equal(created.code, 201, JSON.stringify(created.body));
      assert.equal(created.body.spec.replicas, 0);
      assert.deepEqual(created.body.spec.template.spec.containers.map((c: Obj) => c.image), ["nginx"]);

      const up = await http.send("PUT", `${deploys}/web/scale`, scale(3));
      assert.equal(up.code, 200, JSON.stringify(up.body));
      assert.equal((await http.send("GET", `${deploys}/web`)).body.spec.replicas, 3);
      const down = await http.send("PUT", `${deploys}/web/scale`, scale(0));
      assert.equal(down.code, 200, JSON.stringify(down.body));
      assert.equal((await http.send("GET", `${deploys}/web`)).body.spec.replicas, 0);

      // The DeleteOptions' precondition is read from the protobuf body: a wrong uid is upstream's 409.
      const wrong = await http.send("DELETE", `${deploys}/web`, deleteOptions("not-the-uid", "Background"));
      assert.equal(wrong.code, 409, JSON.stringify(wrong.body));
      assert.match(wrong.body.message, /Precondition failed: UID in precondition: not-the-uid/);
      const gone = await http.send("DELETE", `${deploys}/web`, deleteOptions(created.body.metadata.uid, "Background"));
      assert.equal(gone.code, 200, JSON.stringify(gone.body));
      assert.equal((await http.send("GET", `${deploys}/web`)).code, 404);

      const mystery = await http.send("POST", deploys, envelope("apps/v1", "Mystery", msg()));
      assert.equal(mystery.code, 400);
      assert.equal(mystery.body.message, 'Mystery in version "v1" cannot be handled as a Deployment: no kind "Mystery" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
      const notProtobuf = await http.send("POST", deploys, Buffer.from("{}"));
      assert.equal(notProtobuf.code, 400);
      assert.match(notProtobuf.body.message, /^the object provided is unrecognized \(must be of type Deployment\): provided data does not appear to be a protobuf message/);
    } finally {
      http.close();
    }
  });
});
