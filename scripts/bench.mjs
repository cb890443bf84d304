// `npm run bench`: sets up and builds, then runs bench/run.mjs under `node --expose-gc` (pass
// --quick for a short smoke run).
import { build } from "./build.mjs";
import { root, run } from "./lib.mjs";

build();
run(process.execPath, ["--expose-gc", "bench/run.mjs", ...process.argv.slice(2)], { cwd: root });
