// Deno soak server: PORT from the environment.
import * as lib from "../../dist/deno.js";
import { soakHandler } from "./hub.js";

const handle = soakHandler(lib);
Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT")), onListen() {} }, handle);
