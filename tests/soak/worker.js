// workerd soak server (tests/soak/run.mjs serves it).
import * as lib from "../../dist/workerd.js";
import { soakHandler } from "./hub.js";

let handle;
export default {
  fetch(request) {
    handle ??= soakHandler(lib);
    return handle(request);
  },
};
