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
     esModule = "export * from \"../../node_modules/eric-sse/js/entry-workerd.js\";"),
    (name = "node_modules/eric-sse/js/entry-workerd.js", esModule = embed "../../js/entry-workerd.js"),
    (name = "node_modules/eric-sse/js/action-listener.js", esModule = embed "../../js/action-listener.js"),
    (name = "node_modules/eric-sse/js/api.js", esModule = embed "../../js/api.js"),
    (name = "node_modules/eric-sse/js/backplane/broadcast-channel.js", esModule = embed "../../js/backplane/broadcast-channel.js"),
    (name = "node_modules/eric-sse/js/backplane/memory.js", esModule = embed "../../js/backplane/memory.js"),
    (name = "node_modules/eric-sse/js/backplane/replica.js", esModule = embed "../../js/backplane/replica.js"),
    (name = "node_modules/eric-sse/js/backplane/sqlite.js", esModule = embed "../../js/backplane/sqlite.js"),
    (name = "node_modules/eric-sse/js/channel.js", esModule = embed "../../js/channel.js"),
    (name = "node_modules/eric-sse/js/client.js", esModule = embed "../../js/client.js"),
    (name = "node_modules/eric-sse/js/cloudflare/durable.js", esModule = embed "../../js/cloudflare/durable.js"),
    (name = "node_modules/eric-sse/js/encode.js", esModule = embed "../../js/encode.js"),
    (name = "node_modules/eric-sse/js/errors.js", esModule = embed "../../js/errors.js"),
    (name = "node_modules/eric-sse/js/event-source.js", esModule = embed "../../js/event-source.js"),
    (name = "node_modules/eric-sse/js/ids.js", esModule = embed "../../js/ids.js"),
    (name = "node_modules/eric-sse/js/internal.js", esModule = embed "../../js/internal.js"),
    (name = "node_modules/eric-sse/js/listener.js", esModule = embed "../../js/listener.js"),
    (name = "node_modules/eric-sse/js/memory.js", esModule = embed "../../js/memory.js"),
    (name = "node_modules/eric-sse/js/message.js", esModule = embed "../../js/message.js"),
    (name = "node_modules/eric-sse/js/parser.js", esModule = embed "../../js/parser.js"),
    (name = "node_modules/eric-sse/js/pool.js", esModule = embed "../../js/pool.js"),
    (name = "node_modules/eric-sse/js/processing.js", esModule = embed "../../js/processing.js"),
    (name = "node_modules/eric-sse/js/stream.js", esModule = embed "../../js/stream.js"),
    (name = "node_modules/eric-sse/js/wasm.js", esModule = embed "../../js/wasm.js"),
    (name = "node_modules/eric-sse/js/hub/commands.js", esModule = embed "../../js/hub/commands.js"),
    (name = "node_modules/eric-sse/js/hub/container.js", esModule = embed "../../js/hub/container.js"),
    (name = "node_modules/eric-sse/js/hub/http.js", esModule = embed "../../js/hub/http.js"),
    (name = "node_modules/eric-sse/js/hub/index.js", esModule = embed "../../js/hub/index.js"),
    (name = "node_modules/eric-sse/js/hub/port.js", esModule = embed "../../js/hub/port.js"),
    (name = "node_modules/eric-sse/pkg/eric_sse.js", esModule = embed "../../pkg/eric_sse.js"),
    (name = "node_modules/eric-sse/pkg/eric_sse_bg.wasm", wasm = embed "../../pkg/eric_sse_bg.wasm"),
  ],
  bindings = [ (name = "HUB_TOKEN", fromEnvironment = "HUB_TOKEN") ],
  compatibilityDate = "2025-09-01",
  # request.signal aborts when the client goes away: its listener leaves at once.
  compatibilityFlags = ["enable_request_signal"],
);
