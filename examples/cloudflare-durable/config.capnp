# Serves worker.js with plain workerd, after `npm run build`, its objects in any folder:
#   HUB_TOKEN=secret npx workerd serve examples/cloudflare-durable/config.capnp \
#     --socket-addr http=127.0.0.1:8787 --directory-path storage=/path/to/a/folder
# (wrangler does all of this for you: see wrangler.toml.) One Durable Object namespace,
# ChannelObject with SQLite storage, holds every channel (one object each) and the directory;
# its SQLite files go to <folder>/eric-sse-channels/<object id>.sqlite. Module names are project
# paths; a bare "eric-sse" resolves to the one-line module next to the importing module, which
# re-exports the package's workerd entry (which imports the .wasm as a compiled module).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "hub", worker = .hub),
    # Where the objects' SQLite files live: the folder given by --directory-path storage=<folder>.
    (name = "storage", disk = (writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "hub") ],
);

const hub :Workerd.Worker = (
  modules = [
    (name = "examples/cloudflare-durable/worker.js", esModule = embed "worker.js"),
    (name = "examples/policy.js", esModule = embed "../policy.js"),
    (name = "examples/cloudflare-durable/eric-sse",
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
    (name = "node_modules/eric-sse/js/hub/commands.js", esModule = embed "../../js/hub/commands.js"),
    (name = "node_modules/eric-sse/js/hub/container.js", esModule = embed "../../js/hub/container.js"),
    (name = "node_modules/eric-sse/js/hub/http.js", esModule = embed "../../js/hub/http.js"),
    (name = "node_modules/eric-sse/js/hub/index.js", esModule = embed "../../js/hub/index.js"),
    (name = "node_modules/eric-sse/js/hub/port.js", esModule = embed "../../js/hub/port.js"),
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
    (name = "node_modules/eric-sse/pkg/eric_sse.js", esModule = embed "../../pkg/eric_sse.js"),
    (name = "node_modules/eric-sse/pkg/eric_sse_bg.wasm", wasm = embed "../../pkg/eric_sse_bg.wasm"),
  ],
  durableObjectNamespaces = [
    # uniqueKey names the objects' folder and derives their ids: keep it stable.
    (className = "ChannelObject", uniqueKey = "eric-sse-channels", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [
    (name = "CHANNELS", durableObjectNamespace = "ChannelObject"),
    (name = "HUB_TOKEN", fromEnvironment = "HUB_TOKEN"),
    (name = "HISTORY", fromEnvironment = "HISTORY"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["enable_request_signal"],
);
