import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod, ServiceAccount } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { ResourceInfo } from "../../../api/resources.js";
import { ApiError } from "../../../api/errors.js";
import type { AdmissionAttributes, Operation } from "../admission.js";
import { ServiceAccountAdmission, tokenVolume } from "./service-account.js";

const podsInfo = { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true } as ResourceInfo;

function newPod(spec: Partial<Pod["spec"]> = {}, metadata: Pod["metadata"] = {}): Pod {
  return { metadata: { name: "web", namespace: "default", ...metadata }, spec: { containers: [{ name: "app", image: "busybox" }], ...spec } };
}

function newSA(over: Partial<ServiceAccount> = {}, name = "default"): ServiceAccount {
  return { metadata: { name, namespace: "default", uid: "sa-uid", ...over.metadata }, ...over, ...(over.metadata ? { metadata: { name, namespace: "default", ...over.metadata } } : {}) };
}

function attrs(pod: Pod, operation: Operation = "CREATE", subresource = ""): AdmissionAttributes {
  return { info: podsInfo, operation, object: pod as Kube<Pod>, namespace: "default", name: pod.metadata?.name ?? "", subresource, user: { username: "admin", groups: [] }, dryRun: false, addWarning: () => undefined };
}

function plugin(accounts: ServiceAccount[], extra: { lookups?: string[]; appearAfter?: number } = {}) {
  let calls = 0;
  return new ServiceAccountAdmission({
    getServiceAccount: async (ns, name) => {
      calls++;
      extra.lookups?.push(`${ns}/${name}`);
      if (extra.appearAfter && calls < extra.appearAfter) return undefined;
      return accounts.find((a) => a.metadata?.name === name);
    },
    sleep: async () => undefined,
    randomSuffix: () => "abcde",
  });
}

const mount = { name: "kube-api-access-abcde", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" };

async function refusal(p: Promise<void>): Promise<string> {
  try { await p; } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    return err.message;
  }
  return "allowed";
}

describe("ServiceAccount admission: admit", () => {
  const cases: { name: string; pod: Pod; accounts?: ServiceAccount[]; want: (p: Pod) => void }[] = [
    {
      name: "defaults the service account and mounts the token in every container",
      pod: newPod({ initContainers: [{ name: "init", image: "busybox" }] }),
      want: (p) => {
        assert.equal(p.spec?.serviceAccountName, "default");
        assert.deepEqual(p.spec?.volumes, [tokenVolume("kube-api-access-abcde")]);
        assert.deepEqual(p.spec?.containers[0]?.volumeMounts, [mount]);
        assert.deepEqual(p.spec?.initContainers?.[0]?.volumeMounts, [mount]);
      },
    },
    {
      name: "the projected volume is upstream's",
      pod: newPod(),
      want: (p) => assert.deepEqual(p.spec?.volumes?.[0], {
        name: "kube-api-access-abcde",
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
          ],
        },
      }),
    },
    {
      name: "automountServiceAccountToken false on the pod",
      pod: newPod({ automountServiceAccountToken: false }),
      want: (p) => { assert.equal(p.spec?.volumes, undefined); assert.equal(p.spec?.containers[0]?.volumeMounts, undefined); },
    },
    {
      name: "automountServiceAccountToken false on the service account",
      pod: newPod(), accounts: [newSA({ automountServiceAccountToken: false })],
      want: (p) => assert.equal(p.spec?.volumes, undefined),
    },
    {
      name: "the pod's true beats the service account's false",
      pod: newPod({ automountServiceAccountToken: true }), accounts: [newSA({ automountServiceAccountToken: false })],
      want: (p) => assert.equal(p.spec?.volumes?.length, 1),
    },
    {
      name: "a container with its own mount at the path keeps it",
      pod: newPod({
        containers: [
          { name: "own", image: "x", volumeMounts: [{ name: "mine", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] },
          { name: "plain", image: "x" },
        ],
        volumes: [{ name: "mine", emptyDir: {} }],
      }),
      want: (p) => {
        assert.deepEqual(p.spec?.containers[0]?.volumeMounts, [{ name: "mine", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }]);
        assert.deepEqual(p.spec?.containers[1]?.volumeMounts, [mount]);
        assert.deepEqual(p.spec?.volumes?.map((v) => v.name), ["mine", "kube-api-access-abcde"]);
      },
    },
    {
      name: "every container mounting the path: no volume",
      pod: newPod({ containers: [{ name: "own", image: "x", volumeMounts: [{ name: "mine", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] }], volumes: [{ name: "mine", emptyDir: {} }] }),
      want: (p) => assert.deepEqual(p.spec?.volumes?.map((v) => v.name), ["mine"]),
    },
    {
      name: "an existing kube-api-access volume is reused",
      pod: newPod({ volumes: [tokenVolume("kube-api-access-zzzzz")] }),
      want: (p) => {
        assert.equal(p.spec?.volumes?.length, 1);
        assert.deepEqual(p.spec?.containers[0]?.volumeMounts, [{ ...mount, name: "kube-api-access-zzzzz" }]);
      },
    },
    {
      name: "a mirror pod is left alone",
      pod: newPod({}, { name: "static", namespace: "default", annotations: { "kubernetes.io/config.mirror": "abc" } }),
      want: (p) => { assert.equal(p.spec?.serviceAccountName, undefined); assert.equal(p.spec?.volumes, undefined); },
    },
    {
      name: "image pull secrets come from the service account",
      pod: newPod(), accounts: [newSA({ imagePullSecrets: [{ name: "registry" }] })],
      want: (p) => assert.deepEqual(p.spec?.imagePullSecrets, [{ name: "registry" }]),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await plugin(c.accounts ?? [newSA()]).admit(attrs(c.pod));
      c.want(c.pod);
    });
  }

  it("waits a moment for the default service account of a new namespace", async () => {
    const lookups: string[] = [];
    const pod = newPod();
    await plugin([newSA()], { lookups, appearAfter: 4 }).admit(attrs(pod));
    assert.equal(lookups.length, 4);
    assert.equal(pod.spec?.volumes?.length, 1);
  });

  it("gives up on a missing default after ten lookups, and on any other at once", async () => {
    const lookups: string[] = [];
    assert.equal(await refusal(plugin([], { lookups }).admit(attrs(newPod()))), 'pods "web" is forbidden: error looking up service account default/default: serviceaccount "default" not found');
    assert.equal(lookups.length, 10);
    lookups.length = 0;
    assert.equal(await refusal(plugin([], { lookups }).admit(attrs(newPod({ serviceAccountName: "builder" }, { name: undefined, generateName: "web-" })))),
      'pods "web-" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found');
    assert.equal(lookups.length, 1);
  });

  it("leaves updates and other resources alone", async () => {
    const pod = newPod();
    await plugin([]).admit(attrs(pod, "UPDATE"));
    await plugin([]).admit({ ...attrs(pod), info: { ...podsInfo, resource: "configmaps" } as ResourceInfo });
    assert.equal(pod.spec?.volumes, undefined);
  });
});

describe("ServiceAccount admission: validate", () => {
  const enforcing = newSA({ metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } }, secrets: [{ name: "allowed" }] });
  const cases: { name: string; pod: Pod; accounts?: ServiceAccount[]; operation?: Operation; subresource?: string; want: string }[] = [
    { name: "an existing service account", pod: newPod({ serviceAccountName: "default" }), want: "allowed" },
    { name: "no service account", pod: newPod(), want: 'pods "web" is forbidden: no service account specified for pod default/web' },
    { name: "a missing service account", pod: newPod({ serviceAccountName: "ghost" }), want: 'pods "web" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found' },
    { name: "a mirror pod with a service account", pod: newPod({ serviceAccountName: "default" }, { name: "m", annotations: { "kubernetes.io/config.mirror": "x" } }), want: 'pods "m" is forbidden: a mirror pod may not reference service accounts' },
    { name: "a mirror pod with a secret", pod: newPod({ volumes: [{ name: "s", secret: { secretName: "s" } }] }, { name: "m", annotations: { "kubernetes.io/config.mirror": "x" } }), want: 'pods "m" is forbidden: a mirror pod may not reference secrets' },
    { name: "a mirror pod with a token projection", pod: newPod({ volumes: [{ name: "t", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }] }, { name: "m", annotations: { "kubernetes.io/config.mirror": "x" } }), want: 'pods "m" is forbidden: a mirror pod may not use ServiceAccountToken volume projections' },
    { name: "unlisted secrets pass without the annotation", pod: newPod({ serviceAccountName: "default", volumes: [{ name: "s", secret: { secretName: "other" } }] }), want: "allowed" },
    { name: "enforced: a listed secret volume", pod: newPod({ serviceAccountName: "default", volumes: [{ name: "s", secret: { secretName: "allowed" } }] }), accounts: [enforcing], want: "allowed" },
    { name: "enforced: an unlisted secret volume", pod: newPod({ serviceAccountName: "default", volumes: [{ name: "s", secret: { secretName: "other" } }] }), accounts: [enforcing], want: 'pods "web" is forbidden: volume with secret.secretName="other" is not allowed because service account default does not reference that secret' },
    {
      name: "enforced: an unlisted env secret", accounts: [enforcing],
      pod: newPod({ serviceAccountName: "default", containers: [{ name: "app", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } }] }] }),
      want: 'pods "web" is forbidden: container app with envVar PW referencing secret.secretName="db" is not allowed because service account default does not reference that secret',
    },
    {
      name: "enforced: an unlisted envFrom secret in an init container", accounts: [enforcing],
      pod: newPod({ serviceAccountName: "default", initContainers: [{ name: "init", envFrom: [{ secretRef: { name: "db" } }] }] }),
      want: 'pods "web" is forbidden: init container init with envFrom referencing secret.secretName="db" is not allowed because service account default does not reference that secret',
    },
    {
      name: "enforced: an unlisted pull secret", accounts: [enforcing],
      pod: newPod({ serviceAccountName: "default", imagePullSecrets: [{ name: "reg" }] }),
      want: 'pods "web" is forbidden: spec.imagePullSecrets[0].name: Invalid value: "reg": is not allowed because service account default does not reference that imagePullSecret',
    },
    {
      name: "enforced: an ephemeral container's secret", accounts: [enforcing], operation: "UPDATE", subresource: "ephemeralcontainers",
      pod: newPod({ serviceAccountName: "default", ephemeralContainers: [{ name: "debug", env: [{ name: "T", valueFrom: { secretKeyRef: { name: "db", key: "t" } } }] }] }),
      want: 'pods "web" is forbidden: ephemeral container debug with envVar T referencing secret.secretName="db" is not allowed because service account default does not reference that secret',
    },
    { name: "updates are not checked", operation: "UPDATE", pod: newPod(), want: "allowed" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await refusal(plugin(c.accounts ?? [newSA()]).validate(attrs(c.pod, c.operation, c.subresource))), c.want);
    });
  }
});
