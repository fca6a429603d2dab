/**
 * Regular expressions with RE2's semantics, as CEL's matches and
 * Kubernetes' find take them: matching runs on an RE2 engine (linear in the
 * input, so no pattern can backtrack for ever); positions for find and
 * findAll come from a JavaScript RegExp only once RE2 has found a match.
 */
import { RE2JS } from "@bufbuild/re2";

const re2Cache = new Map<string, RE2JS>();
const jsCache = new Map<string, RegExp>();

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = make();
    if (cache.size > 1000) cache.clear();
    cache.set(key, v);
  }
  return v;
}

/** The RE2 program of a pattern; throws `error parsing regexp: ...` when the pattern is not RE2 syntax. */
export function re2(pattern: string): RE2JS {
  return cached(re2Cache, pattern, () => {
    try {
      return RE2JS.compile(pattern);
    } catch (e) {
      const m = (e as Error).message;
      throw new Error(m.startsWith("error parsing regexp") ? m : `error parsing regexp: ${m}`);
    }
  });
}

/** A JavaScript RegExp for the positions of RE2's matches; RE2's leading flag groups such as (?i) become flags. */
export function positionsRegex(pattern: string, flags = ""): RegExp {
  return cached(jsCache, `${flags}/${pattern}`, () => {
    let body = pattern;
    let f = flags;
    const m = /^\(\?([imsU]+)\)/.exec(body);
    if (m) {
      body = body.slice(m[0].length);
      for (const c of m[1]!) if (c !== "U" && !f.includes(c)) f += c;
    }
    return new RegExp(body.replace(/\(\?P</g, "(?<"), f);
  });
}
