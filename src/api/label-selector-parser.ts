/**
 * The label selector grammar as upstream's apimachinery `labels.Parse` reads
 * it: a lexer of identifiers and operator symbols, then a recursive descent
 * over `[!]KEY [op VALUE | in|notin (VALUES)]` requirements separated by
 * commas. Keys and values are validated as label keys and values, and every
 * error carries upstream's text, so a client sees the same 400 from Skiff as
 * from a real API server.
 */
import { badRequest } from "./errors.js";

export type SelectorOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface ParsedRequirement {
  key: string;
  op: SelectorOperator;
  values: string[];
}

type TokenKind = "end" | "error" | "ident" | ")" | "," | "!" | "==" | "=" | ">" | "in" | "<" | "!=" | "notin" | "(";

interface Token { kind: TokenKind; text: string }

const KEYWORDS: Record<string, TokenKind> = {
  ")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "in": "in", "<": "<", "!=": "!=", "notin": "notin", "(": "(",
};
const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);
const BINARY_OPERATORS = ["in", "notin", "=", "==", "!=", "gt", "lt"];

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART_MESSAGE = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

function lex(s: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && WHITESPACE.has(s[pos]!)) pos++;
    if (pos >= s.length) { tokens.push({ kind: "end", text: "" }); return tokens; }
    if (SPECIAL.has(s[pos]!)) {
      // The longest run of symbols that is still an operator ("!=" rather than "!").
      let buffer = "";
      let last: Token | undefined;
      while (pos < s.length && SPECIAL.has(s[pos]!)) {
        buffer += s[pos];
        const kind = KEYWORDS[buffer];
        if (kind) last = { kind, text: buffer };
        else if (last) break;
        pos++;
      }
      tokens.push(last ?? { kind: "error", text: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let word = "";
    while (pos < s.length && !SPECIAL.has(s[pos]!) && !WHITESPACE.has(s[pos]!)) word += s[pos++];
    tokens.push({ kind: KEYWORDS[word] ?? "ident", text: word });
  }
}

/** Upstream's IsQualifiedName, as the messages of an invalid selector key. */
function labelKeyErrors(key: string): string[] {
  const parts = key.split("/");
  let name = key;
  const errs: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else if (prefix.length > 253) errs.push("prefix part must be no more than 253 characters");
    else if (!DNS_SUBDOMAIN.test(prefix)) errs.push("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (name.length > 0 && !NAME_PART.test(name)) errs.push(NAME_PART_MESSAGE);
  return errs;
}

function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(value)) errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return errs;
}

class SelectorSyntaxError extends Error {}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In a value position, `in` and `notin` are plain words ("x in (in)"). */
  private peek(values: boolean): Token {
    const t = this.tokens[this.position]!;
    return values && (t.kind === "in" || t.kind === "notin") ? { kind: "ident", text: t.text } : t;
  }

  private next(values: boolean): Token {
    const t = this.peek(values);
    this.position++;
    return t;
  }

  parse(): ParsedRequirement[] {
    const out: ParsedRequirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === "end") return out;
      if (t.kind !== "ident" && t.kind !== "!") throw new SelectorSyntaxError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      try {
        out.push(this.requirement());
      } catch (err) {
        if (err instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const after = this.next(true);
      if (after.kind === "end") return out;
      if (after.kind !== ",") throw new SelectorSyntaxError(`found '${after.text}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.kind !== "ident" && following.kind !== "!") throw new SelectorSyntaxError(`found '${following.text}', expected: identifier after ','`);
    }
  }

  private requirement(): ParsedRequirement {
    let t = this.next(true);
    let op: SelectorOperator | undefined;
    if (t.kind === "!") { op = "!"; t = this.next(true); }
    if (t.kind !== "ident") throw new SelectorSyntaxError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length) throw new SelectorSyntaxError(`<nil>: Invalid value: "${key}": ${keyErrs.join("; ")}`);
    const la = this.peek(true).kind;
    if (op === "!" || la === "end" || la === ",") return this.validated({ key, op: op ?? "exists", values: [] });
    const o = this.next(false);
    const operators: Partial<Record<TokenKind, SelectorOperator>> = { "in": "in", "notin": "notin", "=": "=", "==": "=", "!=": "!=", ">": ">", "<": "<" };
    const operator = operators[o.kind];
    if (!operator) throw new SelectorSyntaxError(`found '${o.text}', expected: ${BINARY_OPERATORS.join(", ")}`);
    const values = operator === "in" || operator === "notin" ? this.valueSet() : this.exactValue();
    return this.validated({ key, op: operator, values });
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.kind !== "(") throw new SelectorSyntaxError(`found '${open.text}' expected: '('`);
    const first = this.peek(true);
    if (first.kind === ")") { this.position++; return [""]; } // "()" is the set of the empty value
    if (first.kind !== "ident" && first.kind !== ",") throw new SelectorSyntaxError(`found '${first.text}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const t = this.next(true);
      if (t.kind === "ident") {
        values.add(t.text);
        const la = this.peek(true);
        if (la.kind === ",") continue;
        if (la.kind === ")") break;
        throw new SelectorSyntaxError(`found '${la.text}', expected: ',' or ')'`);
      }
      if (t.kind !== ",") throw new SelectorSyntaxError(`found '${t.text}', expected: ',', or identifier`);
      // Empty entries ("(,a)", "(a,,b)", "(a,)") stand for the empty value.
      if (values.size === 0) values.add("");
      const la = this.peek(true).kind;
      if (la === ")") { values.add(""); break; }
      if (la === ",") values.add("");
    }
    const close = this.next(true);
    if (close.kind !== ")") throw new SelectorSyntaxError(`found '${close.text}', expected: ')'`);
    return [...values].sort();
  }

  private exactValue(): string[] {
    const la = this.peek(true).kind;
    if (la === "end" || la === ",") return [""];
    const t = this.next(true);
    if (t.kind !== "ident") throw new SelectorSyntaxError(`found '${t.text}', expected: identifier`);
    return [t.text];
  }

  private validated(r: ParsedRequirement): ParsedRequirement {
    const errs: string[] = [];
    if (r.op === ">" || r.op === "<") {
      for (const v of r.values) if (!/^[+-]?\d+$/.test(v)) errs.push(`values[0]: Invalid value: "${v}": for 'Gt', 'Lt' operators, the value must be an integer`);
    }
    for (const v of r.values) {
      const valueErrs = labelValueErrors(v);
      if (valueErrs.length) errs.push(`[${r.key}]: Invalid value: "${v}": ${valueErrs.join("; ")}`);
    }
    if (errs.length) throw new SelectorSyntaxError(errs.length === 1 ? errs[0]! : `[${errs.join(", ")}]`);
    return r;
  }
}

/** Parses a label selector as upstream does; a malformed one is a 400 with upstream's message. */
export function parseLabelSelectorText(text: string): ParsedRequirement[] {
  try {
    return new Parser(lex(text)).parse();
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw badRequest(err.message);
    throw err;
  }
}
