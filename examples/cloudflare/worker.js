// A Cloudflare Worker exposing eric-sse channels over HTTP. Deploy with wrangler (it bundles
// "eric-sse" through the package's "workerd" export), or run config.capnp with plain workerd.
// Set HUB_TOKEN to require `Authorization: Bearer <token>` for writes.
import { createHub } from "eric-sse";
import { examplePolicy } from "../policy.js";

let hub;
export default {
  fetch(request, env) {
    hub ??= createHub(examplePolicy(env.HUB_TOKEN));
    return hub.fetch(request);
  },
};
