import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rewriteHTML, rewriteURL, type LinkContext } from "./rewrite.js";

const prefix = "/api/v1/namespaces/ns/pods/web:8080/proxy";
const c: LinkContext = { pathPrepend: prefix, backendHost: "10.244.0.7:8080", requestHost: "127.0.0.1:6443" };

describe("rewriteURL", () => {
  const cases: [string, string][] = [
    ["/rewriteme", `${prefix}/rewriteme`],
    ["/", `${prefix}/`],
    ["/a/b/?x=1&y=2#top", `${prefix}/a/b/?x=1&y=2#top`],
    ["http://10.244.0.7:8080/login?next=/", `${prefix}/login?next=/`],
    ["//10.244.0.7:8080/x", `${prefix}/x`],
    ["https://127.0.0.1:6443/x", `https://127.0.0.1:6443${prefix}/x`],
    [`${prefix}/already`, `${prefix}/already`],
    ["relative/page", "relative/page"],
    ["?q=1", "?q=1"],
    ["#frag", "#frag"],
    ["https://example.com/x", "https://example.com/x"],
    ["mailto:someone@example.com", "mailto:someone@example.com"],
    ["javascript:void(0)", "javascript:void(0)"],
  ];
  for (const [from, to] of cases) it(`${from} → ${to}`, () => assert.equal(rewriteURL(from, c), to));
});

describe("rewriteHTML", () => {
  const rewrite = (html: string) => rewriteHTML(html, (u) => rewriteURL(u, c));
  const cases: [string, string, string][] = [
    ["a link, as upstream's conformance test serves it", '<a href="/rewriteme">test</a>', `<a href="${prefix}/rewriteme">test</a>`],
    ["every URL attribute of the element", `<img src='/i.png' usemap=/m alt="/not-a-url">`, `<img src='${prefix}/i.png' usemap=${prefix}/m alt="/not-a-url">`],
    ["upper-case names and spaced values", '<A  HREF = "/x" >', `<A  HREF = "${prefix}/x" >`],
    ["forms, scripts and stylesheets", '<form action="/post"><script src="/app.js"></script><link rel=stylesheet href="/s.css">',
      `<form action="${prefix}/post"><script src="${prefix}/app.js"></script><link rel=stylesheet href="${prefix}/s.css">`],
    ["not inside comments, script or style text", '<!-- <a href="/c"> --><script>var s = "<a href=\'/s\'>";</script><style>a{}</style><p>/x</p>',
      '<!-- <a href="/c"> --><script>var s = "<a href=\'/s\'>";</script><style>a{}</style><p>/x</p>'],
    ["not other elements' attributes, nor text", '<div href="/d">1 < 2 and /path</div><!DOCTYPE html>', '<div href="/d">1 < 2 and /path</div><!DOCTYPE html>'],
    ["an unterminated tag at the end", '<a href="/x', `<a href="${prefix}/x`],
  ];
  for (const [what, from, to] of cases) it(what, () => assert.equal(rewrite(from), to));

  it("keeps bytes of any encoding as they were", () => {
    const page = Buffer.from('<p>caf\u00e9 \u2603</p><a href="/x">', "utf8");
    const out = Buffer.from(rewrite(page.toString("latin1")), "latin1").toString("utf8");
    assert.equal(out, `<p>caf\u00e9 \u2603</p><a href="${prefix}/x">`);
  });
});
