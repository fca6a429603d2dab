import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import type { Kube } from "../controller.js";
import { DESCRIPTION, rootCaConfigMapChange } from "./root-ca-cert-publisher.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const cm = (data: Record<string, string>, annotations?: Record<string, string>, labels?: Record<string, string>): Kube<ConfigMap> =>
  ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt", namespace: "ns", resourceVersion: "7", annotations, labels }, data });

describe("rootCaConfigMapChange", () => {
  it("creates the ConfigMap with upstream's description", () => {
    assert.deepEqual(rootCaConfigMapChange(undefined, CA), {
      create: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt", annotations: { "kubernetes.io/description": DESCRIPTION } }, data: { "ca.crt": CA } },
    });
    assert.match(DESCRIPTION, /^Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes\.default\.svc\. No other usage is guaranteed across distributions of Kubernetes clusters\.$/);
  });

  const cases: { name: string; existing: Kube<ConfigMap>; want: "none" | Kube<ConfigMap> }[] = [
    { name: "right as it is", existing: cm({ "ca.crt": CA }, { "kubernetes.io/description": DESCRIPTION }), want: "none" },
    { name: "any description is kept", existing: cm({ "ca.crt": CA }, { "kubernetes.io/description": "mine" }), want: "none" },
    { name: "data edited", existing: cm({ "ca.crt": "x" }, { "kubernetes.io/description": DESCRIPTION }), want: cm({ "ca.crt": CA }, { "kubernetes.io/description": DESCRIPTION }) },
    { name: "extra key added", existing: cm({ "ca.crt": CA, extra: "y" }, { "kubernetes.io/description": DESCRIPTION }), want: cm({ "ca.crt": CA }, { "kubernetes.io/description": DESCRIPTION }) },
    {
      name: "description removed, other annotations and labels kept",
      existing: cm({ "ca.crt": CA }, { other: "1" }, { team: "a" }),
      want: cm({ "ca.crt": CA }, { other: "1", "kubernetes.io/description": DESCRIPTION }, { team: "a" }),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.existing);
      const got = rootCaConfigMapChange(c.existing, CA);
      if (c.want === "none") assert.equal(got, undefined);
      else assert.deepEqual(got, { update: c.want });
      assert.deepEqual(c.existing, before, "the cached object is never changed");
    });
  }
});
