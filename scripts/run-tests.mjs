// Runs every compiled *.test.js under dist/ with node's test runner.
// Node 20's runner takes no globs, so the files are found here.
//
// Two lanes run side by side, each one file at a time: the files marked `@exclusive` in their header
// (real containers, host networking, network namespaces, fixed ports: two of them at once would
// disturb each other), and all the others (unit tests, in-process API servers, `skiff server`s without
// a node on ephemeral ports), which share nothing with anything. The exclusive lane prints as it goes;
// the other lane's report is held back and printed whole when it ends, so that neither is interleaved.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

/** Whether the file's doc comment marks it `@exclusive` (tsc may put helpers before the comment). */
function isExclusive(file) {
  return /^ \* @exclusive\b/m.test(readFileSync(file, "utf8"));
}

const filter = process.argv[2];
const files = find("dist", []).filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error("no test files found under dist/ (run npm run build first)");
  process.exit(1);
}
const exclusive = files.filter(isExclusive);
const shared = files.filter((f) => !exclusive.includes(f));

// Node's runner applies --test-timeout to each file as a whole (a file is one test of the run), not to
// each test in it: the suites with a real node run for minutes on a slow machine. Tests bound their
// own waits; this only ends a file that hangs. A file ended this way cleans up through
// test/helpers/process-end.ts. The spec reporter reports; the timings reporter
// (scripts/test-timings-reporter.mjs) names the slowest files at the end.
function lane(name, laneFiles, held) {
  if (laneFiles.length === 0) return Promise.resolve(0);
  const args = ["--test", "--test-concurrency=1", "--test-timeout=600000",
    "--test-reporter=spec", "--test-reporter-destination=stdout",
    `--test-reporter=${new URL("./test-timings-reporter.mjs", import.meta.url).href}`, "--test-reporter-destination=stdout",
    ...laneFiles];
  const child = spawn(process.execPath, args, { stdio: ["ignore", held ? "pipe" : "inherit", held ? "pipe" : "inherit"] });
  const output = [];
  if (held) {
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
  }
  // Ended from outside (a CI timeout): the lanes end with the runner, and clean up as their files do.
  const stop = (signal) => child.kill(signal);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      if (held) process.stdout.write(Buffer.concat([Buffer.from(`\n# lane "${name}" (${laneFiles.length} files), exit ${status}:\n`), ...output]));
      else console.log(`\n# lane "${name}" (${laneFiles.length} files), exit ${status}`);
      resolve(status);
    });
  });
}

console.log(`# ${files.length} test files: ${exclusive.length} exclusive, run one at a time; ${shared.length} in a lane of their own beside them`);
const codes = await Promise.all([lane("exclusive", exclusive, false), lane("shared", shared, exclusive.length > 0)]);
process.exit(codes.every((c) => c === 0) ? 0 : 1);
