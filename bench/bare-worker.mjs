// A bare worker_thread for the pool bench's ceiling: it takes its whole share of the jobs in one
// message and answers with their hashes (no pool, no per-task messages).
import { parentPort } from "node:worker_threads";
import { hash } from "./hash.js";

parentPort?.on("message", (jobs) => parentPort?.postMessage(jobs.map(hash)));
