// `npm run bench`: sets up (redis-server and valgrind too) and builds, then runs bench/run.mjs under `node --expose-gc` (pass
// --quick for a short smoke run).
import { build } from "./build.mjs";
import { root, run } from "./lib.mjs";
import { setup } from "./setup.mjs";

setup({ redis: true, valgrind: true });
build();
run(process.execPath, ["--expose-gc", "bench/run.mjs", ...process.argv.slice(2)], { cwd: root });
