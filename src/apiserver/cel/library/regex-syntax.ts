/**
 * RE2 patterns (what CEL's matches and Kubernetes' find take) as JavaScript
 * RegExps: the two dialects share their common syntax; RE2's leading flag
 * groups such as (?i) become RegExp flags.
 */
const cache = new Map<string, RegExp>();

export function compileRegex(pattern: string, flags = ""): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    let body = pattern;
    let f = flags;
    const m = /^\(\?([imsU]+)\)/.exec(body);
    if (m) {
      body = body.slice(m[0].length);
      for (const c of m[1]!) if (c !== "U" && !f.includes(c)) f += c;
    }
    re = new RegExp(body, f);
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re;
}
