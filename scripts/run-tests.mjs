// Runs every compiled *.test.js under dist/ with node's test runner.
// Node 20's runner takes no globs, so the files are found here.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filter = process.argv[2];
const files = find("dist", []).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error("no test files found under dist/ (run npm run build first)");
  process.exit(1);
}
// Node's runner applies --test-timeout to each file as a whole (a file is one test of the run), not to
// each test in it: the suites with a real node run for minutes on a slow machine. Tests bound their
// own waits; this only ends a file that hangs. A file ended this way cleans up through
// test/helpers/process-end.ts.
// The spec reporter as before, and the timings reporter (scripts/test-timings-reporter.mjs) after it.
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-timeout=600000",
  "--test-reporter=spec", "--test-reporter-destination=stdout",
  `--test-reporter=${new URL("./test-timings-reporter.mjs", import.meta.url).href}`, "--test-reporter-destination=stdout",
  ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
