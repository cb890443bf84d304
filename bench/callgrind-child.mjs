// Run by bench/callgrind.mjs under valgrind: parses one fixture `passes` times with one parser.
// Usage: node bench/callgrind-child.mjs <ours|mixed|tiny> <eric-sse|eventsource-parser> <passes> <megabytes>
import { createParser as esParser } from "eventsource-parser";
import { createParser } from "eric-sse";
import { fixture, runOurs, runTheirs } from "./fixtures.mjs";

const [name, who, passes, megabytes] = process.argv.slice(2);
const { chunks } = fixture(name, Number(megabytes));
let check = "";
for (let pass = 0; pass < Number(passes); pass += 1) {
  check = who === "eric-sse" ? runOurs(createParser, chunks) : runTheirs(esParser, chunks);
}
console.log(check);
