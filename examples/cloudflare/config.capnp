# Serves worker.js with plain workerd, after `npm run build`:
#   HUB_TOKEN=secret npx workerd serve examples/cloudflare/config.capnp
# (wrangler does all of this for you: it bundles "eric-sse" through the package's "workerd"
# export). Module names are project paths; workerd looks a bare "eric-sse" up next to the
# importing module, where a one-line module re-exports the package's workerd entry (which
# imports the .wasm as a compiled module).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "hub", worker = .hub) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "hub") ],
);

const hub :Workerd.Worker = (
  modules = [
    (name = "examples/cloudflare/worker.js", esModule = embed "worker.js"),
    (name = "examples/policy.js", esModule = embed "../policy.js"),
    (name = "examples/cloudflare/eric-sse",
     esModule = "export * from \"../../node_modules/eric-sse/dist/workerd.js\";"),
    (name = "node_modules/eric-sse/dist/workerd.js", esModule = embed "../../dist/workerd.js"),
    (name = "node_modules/eric-sse/dist/shared-full.js", esModule = embed "../../dist/shared-full.js"),
    (name = "node_modules/eric-sse/dist/shared-channel-full.js", esModule = embed "../../dist/shared-channel-full.js"),
    (name = "node_modules/eric-sse/dist/shared-channel-client-full.js", esModule = embed "../../dist/shared-channel-client-full.js"),
    (name = "node_modules/eric-sse/dist/shared-client-full.js", esModule = embed "../../dist/shared-client-full.js"),
    (name = "node_modules/eric-sse/pkg/eric_sse_bg.wasm", wasm = embed "../../pkg/eric_sse_bg.wasm"),
  ],
  bindings = [ (name = "HUB_TOKEN", fromEnvironment = "HUB_TOKEN") ],
  compatibilityDate = "2025-09-01",
  # request.signal aborts when the client goes away: its listener leaves at once.
  compatibilityFlags = ["enable_request_signal"],
);
