/**
 * Finds keys that appear twice in one JSON object of a request body, which
 * JSON.parse silently resolves to the last value. Upstream reports them
 * under fieldValidation Strict (refused) and Warn (a warning).
 */
export function duplicateFields(text: string): string[] {
  const dups: string[] = [];
  let i = 0;
  const ws = () => { while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++; };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        const key = str();
        const child = path ? `${path}.${key}` : key;
        if (seen.has(key)) dups.push(child);
        seen.add(key);
        ws();
        i++; // colon
        value(child);
        ws();
        if (text[i++] === "}") return;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === "]") return;
      }
    }
    if (c === '"') { str(); return; }
    while (i < text.length && !",}] \n\r\t".includes(text[i]!)) i++;
  };
  try {
    value("");
  } catch {
    return []; // malformed JSON is reported by the parser, not here
  }
  return dups;
}
