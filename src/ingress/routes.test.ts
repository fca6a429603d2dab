import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Ingress, IngressBackend, IngressSpec } from "kubernetes-types/networking/v1.js";
import type { Kube } from "../client/index.js";
import { prefixMatches, RouteTable } from "./routes.js";

const ingress = (name: string, created: string, spec: IngressSpec): Kube<Ingress> => ({ metadata: { name, namespace: "default", creationTimestamp: created }, spec });
const to = (service: string, port: number | string = 80): IngressBackend => ({ service: { name: service, port: typeof port === "number" ? { number: port } : { name: port } } });

describe("ingress routes", () => {
  const table = new RouteTable([
    ingress("shop", "2026-01-02T00:00:00Z", {
      tls: [{ hosts: ["shop.test"], secretName: "shop-tls" }],
      rules: [
        { host: "shop.test", http: { paths: [
          { path: "/", pathType: "Prefix", backend: to("front") },
          { path: "/api", pathType: "Prefix", backend: to("api", "http") },
          { path: "/api/health", pathType: "Exact", backend: to("health") },
        ] } },
        { host: "*.shop.test", http: { paths: [{ path: "/", pathType: "Prefix", backend: to("tenant") }] } },
      ],
    }),
    ingress("catch-all", "2026-01-01T00:00:00Z", {
      defaultBackend: to("fallback"),
      rules: [{ http: { paths: [{ path: "/static/", pathType: "ImplementationSpecific", backend: to("static") }] } }],
    }),
  ]);
  const svc = (host: string, path: string) => table.match(host, path)?.service;

  it("matches whole path elements, the longest prefix first, and Exact before Prefix", () => {
    assert.equal(svc("shop.test", "/"), "front");
    assert.equal(svc("shop.test", "/api"), "api");
    assert.equal(svc("shop.test", "/api/orders?x=1"), "api");
    assert.equal(svc("shop.test", "/apiary"), "front");
    assert.equal(svc("shop.test", "/api/health"), "health");
    assert.equal(svc("shop.test", "/api/health/deep"), "api");
    assert.equal(table.match("shop.test", "/api")?.port, "http");
  });

  it("honours hosts with ports and wildcards of one label, then host-less rules, then the default backend", () => {
    assert.equal(svc("SHOP.test:8443", "/"), "front");
    assert.equal(svc("eu.shop.test", "/x"), "tenant");
    assert.equal(svc("a.eu.shop.test", "/x"), "fallback");
    assert.equal(svc("other.test", "/static/app.js"), "static");
    assert.equal(svc("other.test", "/nothing"), "fallback");
    assert.equal(table.match("other.test", "/")?.ingress, "default/catch-all");
  });

  it("finds the TLS Secret by server name", () => {
    assert.equal(table.secretFor("shop.test")?.secretName, "shop-tls");
    assert.equal(table.secretFor("other.test"), undefined);
  });

  it("has no route without Ingresses", () => {
    assert.equal(new RouteTable([]).match("x", "/"), undefined);
  });

  it("treats a prefix as path elements", () => {
    assert.ok(prefixMatches("/", "/anything"));
    assert.ok(prefixMatches("/foo", "/foo/"));
    assert.ok(!prefixMatches("/foo", "/foobar"));
  });
});
