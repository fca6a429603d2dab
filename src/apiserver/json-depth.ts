/**
 * A bound on how deeply a request body may nest, checked before anything
 * recursive touches it. Upstream's Go decoder stops at 10,000 levels; here
 * structuredClone, JSON.stringify, the patch algorithms and the validators all
 * recurse on the JS stack, and the first of them gives out near 1,100 levels
 * inside a request, so the bound is lower: 512 levels is far deeper than any
 * real object (a CRD's schema nests a few dozen) and leaves the rest of the
 * pipeline (managedFields mirror the object a few levels down) room to spare.
 */
import { badRequest } from "../api/errors.js";

export const MAX_DEPTH = 512;

/**
 * The nesting depth of JSON text if it exceeds max, else undefined; a linear
 * scan of brackets outside strings, so that it costs nothing like a parse and
 * cannot itself run out of stack. Malformed text is left to the parser.
 */
export function jsonTextTooDeep(text: string, max = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * The yaml parser recurses several frames a level and gives out near 800
 * levels (and a stack overflow inside it has been seen to take the process
 * down), so YAML text gets a bound of its own, checked on the text.
 */
export const MAX_YAML_DEPTH = 256;

/**
 * Whether YAML text may nest deeper than max: block nesting by the stack of
 * indentations (and "- " entries opening a sequence on one line), flow nesting
 * by brackets outside quotes and comments. It may overcount (a bracket inside
 * a plain scalar), never undercount, and no real document comes near the bound.
 */
export function yamlTextTooDeep(text: string, max = MAX_YAML_DEPTH): boolean {
  const indents: number[] = [];
  let flow = 0;
  for (const line of text.split("\n")) {
    const indent = line.length - line.trimStart().length;
    let rest = line.slice(indent);
    if (rest === "" || rest.startsWith("#")) continue;
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    let dashes = 0;
    while (/^-(\s|$)/.test(rest)) {
      dashes++;
      rest = rest.slice(1).trimStart();
    }
    let quote = "";
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i]!;
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) quote = "";
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === "#" && (i === 0 || /\s/.test(rest[i - 1]!))) break;
      else if (c === "[" || c === "{") flow++;
      else if ((c === "]" || c === "}") && flow > 0) flow--;
      if (indents.length + dashes + flow > max) return true;
    }
    if (indents.length + dashes + flow > max) return true;
  }
  return false;
}

/** Whether a decoded value (from YAML or protobuf) nests deeper than max; iterative, for the same reason. */
export function valueTooDeep(value: unknown, max = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === "object") stack.push([x, d + 1]);
  }
  return false;
}

/** Throws the 400 for a body nested past the bound (Go's decoder says "exceeded max depth"). */
export function refuseDeepJson(text: string, prefix: string): void {
  if (jsonTextTooDeep(text)) throw badRequest(`${prefix}exceeded max depth`);
}
