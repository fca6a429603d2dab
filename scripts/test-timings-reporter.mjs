// A node:test reporter that adds up the time of each test file's top-level tests and, at the end of the
// run, names the slowest files: CI time is a budget, and this shows where it goes.
import { relative } from "node:path";

export default async function* timings(source) {
  const byFile = new Map();
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && event.data.file) {
      byFile.set(event.data.file, (byFile.get(event.data.file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  if (byFile.size === 0) return;
  const total = [...byFile.values()].reduce((sum, ms) => sum + ms, 0);
  yield `\n# ${byFile.size} test files, ${(total / 1000).toFixed(0)} s in their tests; the slowest:\n`;
  for (const [file, ms] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    yield `#   ${(ms / 1000).toFixed(1).padStart(6)} s  ${relative(process.cwd(), file)}\n`;
  }
}
