/**
 * Links that point into the backend made to point through the proxy, as
 * upstream's proxy transport rewrites them: a redirect's Location and the
 * URL attributes of an HTML page. `/rewriteme` served by a pod reached at
 * `/api/v1/namespaces/ns/pods/web:80/proxy/` becomes
 * `/api/v1/namespaces/ns/pods/web:80/proxy/rewriteme`; links to other hosts
 * and relative links stay as they are.
 */
import { posix } from "node:path";

export interface LinkContext {
  /** The request's path up to and including `proxy`, escaped (upstream's PathPrepend). */
  pathPrepend: string;
  /** The backend's `host[:port]`: absolute links to it become the proxy's paths. */
  backendHost: string;
  /** The Host the client addressed the API server by: links to it keep their scheme and host. */
  requestHost: string;
}

const URL_PARTS = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)([\s\S]*)$/;

/** One URL rewritten; anything that is not a link into the backend comes back unchanged. */
export function rewriteURL(target: string, c: LinkContext): string {
  const m = URL_PARTS.exec(target);
  if (!m) return target;
  const [, scheme, authority, path = "", rest = ""] = m;
  const host = authority === undefined ? "" : authority.slice(authority.lastIndexOf("@") + 1);
  if (host !== "" && host !== c.backendHost && host !== c.requestHost) return target;
  if (!path.startsWith("/")) return target;
  // A link to the API server's own host keeps its scheme and host; one to the backend loses them, as the prefix is a path on the API server.
  const origin = host !== "" && host === c.requestHost ? `${scheme ? `${scheme}:` : ""}//${authority}` : "";
  if (path.startsWith(c.pathPrepend)) return origin + path + rest;
  let joined = posix.join(c.pathPrepend, path);
  if (path.endsWith("/") && !joined.endsWith("/")) joined += "/";
  return origin + joined + rest;
}

/** upstream's atomsToAttrs: the attributes of each element that hold a URL. */
const URL_ATTRIBUTES: Record<string, string[]> = {
  a: ["href"], applet: ["codebase"], area: ["href"], audio: ["src"], base: ["href"], blockquote: ["cite"], body: ["background"],
  button: ["formaction"], command: ["icon"], del: ["cite"], embed: ["src"], form: ["action"], frame: ["longdesc", "src"],
  head: ["profile"], html: ["manifest"], iframe: ["longdesc", "src"], img: ["longdesc", "src", "usemap"],
  input: ["src", "usemap", "formaction"], ins: ["cite"], link: ["href"], object: ["classid", "codebase", "data", "usemap"],
  q: ["cite"], script: ["src"], source: ["src"], video: ["poster", "src"],
};

/** Elements whose content is text, not markup, until their end tag (as Go's HTML tokenizer reads them). */
const RAW_TEXT = new Set(["iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp"]);

interface Span { start: number; end: number }
interface StartTag { name: string; attributes: { name: string; value?: Span }[]; end: number }

const SPACE = /[\t\n\f\r ]/;

/** A start tag from its `<` on, as the HTML tokenizer reads one: the name, each attribute's name and value span. */
function readStartTag(html: string, lt: number): StartTag {
  let i = lt + 1;
  while (i < html.length && !SPACE.test(html[i]!) && html[i] !== "/" && html[i] !== ">") i++;
  const tag: StartTag = { name: html.slice(lt + 1, i).toLowerCase(), attributes: [], end: html.length };
  for (;;) {
    while (i < html.length && (SPACE.test(html[i]!) || html[i] === "/")) i++;
    if (i >= html.length) return tag;
    if (html[i] === ">") { tag.end = i + 1; return tag; }
    const nameStart = i;
    i++;
    while (i < html.length && !SPACE.test(html[i]!) && !"/>=".includes(html[i]!)) i++;
    const attribute: StartTag["attributes"][number] = { name: html.slice(nameStart, i).toLowerCase() };
    tag.attributes.push(attribute);
    let j = i;
    while (j < html.length && SPACE.test(html[j]!)) j++;
    if (html[j] !== "=") continue;
    j++;
    while (j < html.length && SPACE.test(html[j]!)) j++;
    const quote = html[j];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, j + 1);
      attribute.value = { start: j + 1, end: close < 0 ? html.length : close };
      i = close < 0 ? html.length : close + 1;
    } else {
      i = j;
      while (i < html.length && !SPACE.test(html[i]!) && html[i] !== ">") i++;
      attribute.value = { start: j, end: i };
    }
  }
}

/**
 * The page with the URL attributes of its start tags rewritten; everything
 * else (text, comments, end tags, script and style content, attributes'
 * quoting) is kept byte for byte. Works on a latin1 string, one character a
 * byte, so that any encoding of the page passes through intact.
 */
export function rewriteHTML(html: string, rewrite: (url: string) => string): string {
  const lower = html.toLowerCase();
  let out = "";
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt < 0) break;
    out += html.slice(i, lt);
    const next = html[lt + 1] ?? "";
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      i = end < 0 ? html.length : end + 3;
      out += html.slice(lt, i);
      continue;
    }
    if (next === "!" || next === "?" || next === "/") {
      const end = html.indexOf(">", lt);
      i = end < 0 ? html.length : end + 1;
      out += html.slice(lt, i);
      continue;
    }
    if (!/[A-Za-z]/.test(next)) {
      out += "<";
      i = lt + 1;
      continue;
    }
    const tag = readStartTag(html, lt);
    const urls = URL_ATTRIBUTES[tag.name] ?? [];
    let pos = lt;
    for (const a of tag.attributes) {
      if (!a.value || !urls.includes(a.name)) continue;
      out += html.slice(pos, a.value.start) + rewrite(html.slice(a.value.start, a.value.end));
      pos = a.value.end;
    }
    out += html.slice(pos, tag.end);
    i = tag.end;
    if (RAW_TEXT.has(tag.name)) {
      const close = lower.indexOf(`</${tag.name}`, i);
      const end = close < 0 ? html.length : close;
      out += html.slice(i, end);
      i = end;
    }
  }
  return out + html.slice(i);
}
